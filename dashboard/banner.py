"""The learning-mode banner rule and the registry facts it reads (plain Python, no Streamlit).

:func:`derive_banner` takes the trainer status (``trainer.service.control.status``),
the champion's summary and the newest model summaries
(``Registry.list_models()`` as dicts, see :func:`dashboard.tables.records`)
and returns a :class:`Banner`: ACTIVE only when the service runs, its last
run succeeded and the champion is useful; DEGRADED (with the reason) when it
runs but the newest models are not useful or the last run failed, and
whatever the trainer does when the champion cannot serve (its model file
fails its signature check, is unsigned, or its metrics file is unreadable:
roll back or retrain); STOPPED;
CRASHED (with the last error); NO MODEL YET (with what to do).
:func:`registry_facts` boils ``Registry.list_models()`` down to what the
Overview needs (the count, the newest few models as dicts, the champion, the
broken files, what keeps the champion from serving) without turning ten thousand summaries into dicts.
The Overview page only shows what these return.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from dashboard.formatting import fmt
from dashboard.tables import is_model, records, warning_codes
from trainer.contract import states
from trainer.contract.states import LIVE_STATES
from trainer.contract.status import ServiceStatus
from trainer.folder import champion_problem, field_of as _field

ACTIVE, DEGRADED, STOPPED, CRASHED, NO_MODEL = "ACTIVE", "DEGRADED", "STOPPED", "CRASHED", "NO MODEL YET"

#: how many of the newest models the banner looks at for a run of useless ones
NEWEST_MODELS = 50

#: why a model is not useful, in words that finish "the last N models ..." / "the last model ..."
BLOCKING_REASONS = {
    "predicts_one_class": ("predict one class", "predicts one class"),
    "majority_accuracy": ("only reproduce the majority class (accuracy without any F1)",
                          "only reproduces the majority class (accuracy without any F1)"),
    "single_class": ("were trained on one class only", "was trained on one class only"),
    "no_positive_labels": ("had no true-positive labels to learn from", "had no true-positive labels to learn from"),
}
UNKNOWN_BLOCK = ("are blocked by their warnings", "is blocked by its warnings")


@dataclass
class RegistryFacts:
    """What the Overview shows of the registry: readable-model count, newest models, champion, broken files.

    ``champion_problem`` is a sentence when the champion cannot serve (see
    :func:`champion_problem`), else None.
    """

    count: int = 0
    newest: list[dict] = field(default_factory=list)
    champion: dict | None = None
    broken: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    champion_problem: str | None = None
    #: how many of the newest models in a row are not useful, counted over every readable model
    useless_streak: int = 0

    @property
    def latest(self) -> dict | None:
        return self.newest[0] if self.newest else None


def registry_facts(summaries: Iterable[Any], problems: Iterable[str] = (), newest: int = NEWEST_MODELS) -> RegistryFacts:
    """Facts from ``Registry.list_models()`` summaries (objects or dicts, any order) and ``problems()``."""
    usable, broken, champion, trouble = [], [], None, None
    for summary in summaries:
        if _field(summary, "is_champion"):
            trouble = champion_problem(summary)
        if (_field(summary, "status") or "ok") != "ok":
            broken.append(summary)
            continue
        usable.append(summary)
        if _field(summary, "is_champion"):
            champion = summary
    top = heapq.nlargest(newest, usable, key=lambda s: str(_field(s, "model_id")))
    streak = 0
    if len(top) == newest:  # the newest few may all be useless: count on through the older ones
        for summary in sorted(usable, key=lambda s: str(_field(s, "model_id")), reverse=True):
            if _field(summary, "useful") is not False:
                break
            streak += 1
    return RegistryFacts(count=len(usable), newest=records(top), champion=records([champion])[0] if champion else None,
                         broken=records(broken), problems=[str(p) for p in problems], champion_problem=trouble,
                         useless_streak=streak)


@dataclass(frozen=True)
class Banner:
    """What the Overview shows at the top: the state, one line of headline and the reason in full.

    ``level`` is the Streamlit box to draw it in: success, warning, error or info.
    """

    state: str
    headline: str
    reason: str
    level: str


def _useless_streak(latest: list[dict]) -> list[dict]:
    """The newest models that are not useful, newest first, up to the first useful one."""
    streak = []
    for record in latest:
        if record.get("useful") is True:
            break
        if record.get("useful") is False:
            streak.append(record)
        else:
            break
    return streak


def _streak_reason(streak: list[dict], length: int, total: int | None) -> str:
    """"the last 5 models ...", or "all 66 models ..." when the streak is the whole folder."""
    counts = Counter(code for record in streak for code in warning_codes(record) if code in BLOCKING_REASONS)
    plural, singular = BLOCKING_REASONS[counts.most_common(1)[0][0]] if counts else UNKNOWN_BLOCK
    if length == 1:
        return f"the only model {singular}" if total == 1 else f"the last model {singular}"
    if total is not None and length >= total:
        return f"all {total} models {plural}"
    return f"the last {length} models {plural}"


def _champion_line(champion: dict | None) -> str:
    if not champion:
        return "no champion"
    parts = [f"champion {champion.get('model_id')}"]
    for key, label in (("pr_auc", "PR-AUC"), ("f1_score", "F1"), ("recall", "recall")):
        value = champion.get(key)
        if isinstance(value, (int, float)):
            parts.append(f"{label} {fmt(value)}")  # the digits every page uses, so a number reads the same everywhere
    return ", ".join(parts)


def _last_error(status: ServiceStatus) -> str:
    error = status.last_error
    return error.message if error is not None and error.message else ""


def derive_banner(status: ServiceStatus | None, champion: dict | None, models: Iterable[dict], *,
                  store_empty: bool | None = None, champion_problem: str | None = None,
                  facts: RegistryFacts | None = None) -> Banner:
    """The banner for this status, champion summary and model summaries (any order).

    ``store_empty`` (True when the feedback store holds no labelled row, None
    when unknown) only changes what NO MODEL YET tells the user to do.
    ``champion_problem`` (:attr:`RegistryFacts.champion_problem`) makes the
    banner DEGRADED whatever the trainer does: the model in service cannot be used.
    ``facts`` (when ``models`` are only the newest few of them) gives the
    folder's model count and the whole run of useless models, so the banner
    says "all 66 models" rather than "the last 50 or more".
    """
    status = status or ServiceStatus()
    state = status.state or "unknown"
    running = state in LIVE_STATES
    latest = sorted((m for m in models if is_model(m)), key=lambda m: str(m.get("model_id")), reverse=True)

    if state == states.CRASHED:
        error = _last_error(status)
        reason = status.message or "the trainer process is gone"
        if error:
            reason += f". Last error: {error}"
        return Banner(CRASHED, "The trainer crashed", reason + ". Press Start to run it again.", "error")

    if champion_problem:
        also = "" if running else (f" Also: {status.message or 'the trainer is not running'}; "
                                   "press Start to resume learning.")
        return Banner(DEGRADED, "The champion cannot be used",
                      f"{champion_problem}. Roll back to the previous champion (Models page) or retrain (Retrain "
                      f"now) to put a model that passes its checks in service.{also}", "error")

    if not latest and not champion:
        if store_empty:
            todo = "there is no labelled feedback to learn from: run `cla demo seed` (or point source.* at your feedback), then press Start"
        elif not running:
            todo = "press Start, then Retrain now"
        elif state == states.TRAINING:
            todo = f"the first training is running ({status.stage or 'working'})"
        else:
            todo = "press Retrain now, or wait for the next scheduled check"
        return Banner(NO_MODEL, "No model yet", f"No model has been trained in this folder: {todo}.", "info")

    streak = _useless_streak(latest)
    total = facts.count if facts is not None else len(latest)
    length = max(len(streak), facts.useless_streak if facts is not None and streak else 0)
    last = status.last_result
    failed = ""
    if last is not None and last.outcome not in ("finished", "busy"):
        failed = (f"the last training {last.outcome or 'did not finish'}: "
                  f"{last.message or _last_error(status) or 'no message'}")
    if not running:
        detail = status.message or "the trainer is not running"
        useless = f"; {_streak_reason(streak, length, total)}" if streak else ""
        return Banner(STOPPED, "Learning stopped",
                      f"{detail}. Nothing is learning from new feedback; {_champion_line(champion)}{useless}. "
                      "Press Start to resume.", "warning")

    if streak:
        serving = (f"; {_champion_line(champion)} still serves" if champion and champion.get("useful")
                   else "; no useful champion")
        also = f"; {failed}" if failed else ""
        return Banner(DEGRADED, "Learning degraded", f"{_streak_reason(streak, length, total)}{serving}{also}.",
                      "warning")

    if failed:
        return Banner(DEGRADED, "Learning degraded", f"{failed}.", "warning")

    if not champion:
        return Banner(DEGRADED, "Learning degraded", "no model has been promoted to champion yet.", "warning")
    if champion.get("useful") is not True:
        why = ("its metrics file is from the old CLA and has no PR-AUC, so its usefulness is unknown"
               if champion.get("legacy") else "it is not useful: " + (", ".join(warning_codes(champion)) or "unknown"))
        return Banner(DEGRADED, "Learning degraded", f"the champion {champion.get('model_id')}: {why}.", "warning")

    if status.stale:
        return Banner(DEGRADED, "Learning degraded", f"{status.message}.", "warning")

    doing = f"training now ({status.stage})" if state == states.TRAINING else "waiting for new feedback"
    return Banner(ACTIVE, "Learning mode active", f"The trainer runs and is {doing}; {_champion_line(champion)}.",
                  "success")
