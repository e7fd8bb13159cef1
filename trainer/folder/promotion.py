"""The champion/challenger gate: is the model just trained better than the one in service?

:func:`judge_challenger` re-scores the current champion (loaded through
`trainer.folder.scoring`, signature-verified) on the *challenger's* test slice, with
the same metric code (`trainer.learning.evaluation.score_metrics`) for both models,
and checks the gates of ``config.promotion`` (modelled on MLflow's
``MetricThreshold``):

* no blocking warning on the challenger (`trainer.learning.diagnostics`);
* at least ``min_test_positives`` positives in the test slice;
* recall at the challenger's own threshold >= ``training.target`` when the
  objective is recall (``require_recall_target``);
* ``metric`` >= ``floor`` (when the floor is above 0);
* ``metric`` change versus the champion >= ``min_absolute_change`` and, when
  enabled (above -1), relative change >= ``min_relative_change``.

A champion that learned its own test slice after its gates (``fitted_on``
``"all"``, `trainer.learning.metrics_report.TrainingResult.refit_on_all`) is
compared with the challenger only on the test rows newer than the newest row it
learned, when they hold enough positives; otherwise the note says its scores
are optimistic.

The first model without a blocking warning becomes champion. A champion that
fails verification or cannot score the slice (a feature it needs is gone) is
replaced by any challenger without a blocking warning, and the reason says so.
The returned dict is the ``promotion`` block of the metrics file
(docs/CONTRACTS.md); :func:`apply` then moves the pointer (`trainer.folder.registry`)
and records a ``promoted`` or ``rejected`` event.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from trainer.config import Config
from trainer.learning.evaluation import score_metrics
from trainer.folder.events import append_event
from trainer.folder.registry import Registry, RegistryError
from trainer.folder.promotion_rules import METRIC_NAMES, change_words, champion_slide, digits_for  # noqa: F401
from trainer.folder.scoring import ModelLoadError, load_model

#: metrics computed for both models on the challenger's test slice
COMPARED = ("pr_auc", "roc_auc", "recall", "precision", "f1_score")
PROMOTING = ("promoted", "first_champion")



def _scores(model, frame, y: np.ndarray) -> dict[str, Any]:
    """The :data:`COMPARED` metrics of ``model`` on ``frame`` at its own threshold."""
    probabilities = model.predict_proba(frame)[:, 1]
    metrics = score_metrics(y, probabilities, model.threshold)
    scores = {key: metrics.get(key) for key in COMPARED}
    scores["threshold"] = float(model.threshold)
    return scores


def _fmt(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3f}"


def _gate(name: str, passed: bool, message: str) -> dict[str, Any]:
    return {"name": name, "passed": bool(passed), "message": message}


def _challenger_gates(challenger, scores: dict, positives: int, config: Config) -> list[dict[str, Any]]:
    """Gates that look at the challenger alone."""
    rules = config.promotion
    metric, label = rules.metric, METRIC_NAMES.get(rules.metric, rules.metric)
    warnings = challenger.metrics.get("warnings") or []
    blocking = [w.get("code") for w in warnings if isinstance(w, dict) and w.get("severity") == "blocking"]
    gates = [
        _gate("no_blocking_warning", not blocking,
              f"blocking warning(s) {', '.join(blocking)}: the model is not useful" if blocking
              else "no blocking warning"),
        _gate("min_test_positives", positives >= rules.min_test_positives,
              f"{positives} positives in the test slice (at least {rules.min_test_positives} required)"),
    ]
    if rules.require_recall_target and config.training.objective == "recall":
        recall, target = scores.get("recall"), config.training.target
        gates.append(_gate("recall_target", recall is not None and recall >= target,
                           f"recall {_fmt(recall)} at threshold {scores['threshold']:.3f} "
                           f"(target {target:.3f})"))
    if rules.floor > 0:
        value = scores.get(metric)
        gates.append(_gate("floor", value is not None and value >= rules.floor,
                           f"{label} {_fmt(value)} (floor {rules.floor:.3f})"))
    return gates


def _comparison_gates(challenger_scores: dict, champion_scores: dict, config: Config) -> list[dict[str, Any]]:
    """Gates that compare both models on the same slice."""
    rules = config.promotion
    metric, label = rules.metric, METRIC_NAMES.get(rules.metric, rules.metric)
    new, old = challenger_scores.get(metric), champion_scores.get(metric)
    if new is None or old is None:
        return [_gate("min_absolute_change", new is not None,
                      f"{label} is undefined for the {'challenger' if new is None else 'champion'} on this test "
                      "slice (it holds one class)")]
    change = new - old
    gates = [_gate("min_absolute_change", change >= rules.min_absolute_change,
                   f"{label} {new:.{digits_for(new, old, change, rules.min_absolute_change)}f} vs champion "
                   f"{old:.{digits_for(new, old, change, rules.min_absolute_change)}f} on the same test slice: "
                   + change_words(change, rules.min_absolute_change))]
    if rules.min_relative_change > -1:
        relative = change / old if old > 0 else float("inf")
        gates.append(_gate("min_relative_change", relative >= rules.min_relative_change,
                           f"{label} relative change {relative:+.1%} (at least {rules.min_relative_change:+.1%} "
                           "required)"))
    return gates


def _relax_recall_gate(gates: list[dict], challenger_scores: dict, champion_scores: dict, config: Config) -> None:
    """Let a challenger below the recall target pass when the champion misses it too and does no better.

    Without this, once the data makes the target unreachable on the test
    slice, every challenger is rejected and the champion is never replaced,
    however stale it gets.
    """
    target = config.training.target
    new, old = challenger_scores.get("recall"), champion_scores.get("recall")
    for gate in gates:
        if gate["name"] == "recall_target" and not gate["passed"] and new is not None and old is not None \
                and old < target and new >= old:
            gate["passed"] = True
            gate["message"] += (f"; the champion misses the target too (recall {old:.3f} on the same slice) "
                                "and the challenger does at least as well")


def judge_challenger(challenger, registry: Registry, config: Config) -> dict[str, Any]:
    """The ``promotion`` block for ``challenger`` (a `trainer.learning.metrics_report.TrainingResult`).

    Keys: ``decision`` (``first_champion``, ``promoted``, ``rejected``, or
    ``held`` when every gate passed but ``promotion.auto_promote`` is off),
    ``reasons`` (a sentence per gate), ``gates``, ``champion_id``, ``metric``,
    ``challenger`` and ``champion`` (both models' scores on the same slice;
    ``champion`` is None when there is none or it could not be scored).
    Raises ``ValueError`` when the test slice lacks the label column.
    """
    rules = config.promotion
    label_column = config.schema.label
    test = challenger.test_frame
    if label_column not in test.columns:
        raise ValueError(f"the challenger's test slice has no label column '{label_column}'")
    y = test[label_column].astype(int).to_numpy()
    positives = int(y.sum())
    challenger_scores = _scores(challenger.model, test, y)
    gates = _challenger_gates(challenger, challenger_scores, positives, config)
    pointer = registry.champion()
    champion_id = pointer.model_id if pointer else None
    block: dict[str, Any] = {"decision": "rejected", "reasons": [], "gates": gates, "champion_id": champion_id,
                             "metric": rules.metric, "challenger": challenger_scores, "champion": None}
    useful = gates[0]["passed"]

    if champion_id is None:
        unordered = _unordered_time(challenger, config)
        if unordered:
            gates.append(_gate("time_ordered", False, unordered))
        first = useful and not unordered
        block["decision"] = "first_champion" if first else "rejected"
        block["reasons"] = ["no champion yet: the first model without a blocking warning becomes champion" if first
                            else "no champion yet, but this model cannot be the first: "
                            + (gates[0]["message"] if not useful else unordered)]
        block["reasons"] += [("passed: " if g["passed"] else "note: ") + g["message"] for g in gates[1:]
                             if g["name"] != "time_ordered"]
        return _held(block, rules.auto_promote)

    try:
        champion_model = load_model(registry.root, champion_id, key_file=registry.key_file)
        unseen, note = _rows_unseen_by(champion_model, registry, champion_id, test, y, config)
        if unseen is not None:
            block["challenger"] = _scores(challenger.model, test[unseen], y[unseen])
            block["compared_rows"] = int(unseen.sum())
            block["champion"] = _scores(champion_model, test[unseen], y[unseen])
        else:
            block["champion"] = _scores(champion_model, test, y)
        if note:
            block["comparison_note"] = note
    except (ModelLoadError, ValueError, KeyError) as exc:
        problem = " ".join(str(exc).split())
        block["decision"] = "promoted" if useful else "rejected"
        block["reasons"] = [f"the champion {champion_id} cannot be scored on this test slice ({problem})"
                            + ("; the challenger replaces it" if useful else "; " + gates[0]["message"])]
        return _held(block, rules.auto_promote)

    _relax_recall_gate(gates, block["challenger"], block["champion"], config)
    gates += _comparison_gates(block["challenger"], block["champion"], config)
    passed = all(g["passed"] for g in gates)
    block["decision"] = "promoted" if passed else "rejected"
    block["reasons"] = [("passed: " if g["passed"] else "failed: ") + g["message"] for g in gates]
    if block.get("comparison_note"):
        block["reasons"].append("note: " + block["comparison_note"])
    return _held(block, rules.auto_promote)


def _rows_unseen_by(champion, registry: Registry, champion_id: str, test, y: np.ndarray,
                    config: Config) -> tuple[np.ndarray | None, str]:
    """Which test rows a champion that learned its own test slice (``fitted_on`` ``"all"``) has never seen.

    Returns (mask, note): the mask of rows newer than the newest row it
    learned when they hold at least ``promotion.min_test_positives``
    positives and both classes, so both models are compared on rows neither
    learned; else None and a note that says the champion's scores are
    optimistic. (None, "") for a champion that never learned its test slice.
    """
    if champion.metadata.get("fitted_on") != "all":
        return None, ""
    try:
        window = registry.get(champion_id).get("data_window") or {}
    except RegistryError:
        window = {}
    column = config.schema.time_column
    learned = pd.to_datetime(window.get("end"), utc=True, errors="coerce") if window.get("end") else pd.NaT
    if pd.isna(learned) or not column or column not in test.columns:
        return None, (f"the champion {champion_id} learned every row up to its training and its file does not say "
                      "when that was: it may have learned some of these test rows, so its scores may be optimistic")
    times = pd.to_datetime(test[column], utc=True, errors="coerce")
    unseen = (times > learned).to_numpy()
    positives = int(y[unseen].sum())
    seen = int((~unseen).sum())
    if seen == 0:
        return None, ""
    if positives >= config.promotion.min_test_positives and positives < int(unseen.sum()):
        return unseen, (f"compared on the {int(unseen.sum())} test rows newer than {learned.isoformat()}, the newest "
                        f"row the champion learned; it learned the other {seen}")
    return None, (f"the champion learned {seen} of the {len(unseen)} test rows (up to {learned.isoformat()}); the "
                  f"{int(unseen.sum())} newer rows hold {positives} positives (at least "
                  f"{config.promotion.min_test_positives} needed to compare on them alone), so both are compared on "
                  "the whole slice and the champion's scores are optimistic")


def _unordered_time(challenger, config: Config) -> str:
    """Why a first champion cannot be chosen on this feedback's times, or "".

    A time column configured but holding too few distinct times (a batch
    export stamped at once) gives a stratified test slice, not the newest
    alerts: the numbers a first champion would be trusted on could be
    optimistic, and nothing newer would check them yet.
    """
    warnings = challenger.metrics.get("warnings") or []
    if not any(isinstance(w, dict) and w.get("code") == "time_unordered" for w in warnings):
        return ""
    column = config.schema.time_column
    return (f"the time column '{column}' cannot tell the newest feedback (one batch stamp, or too few distinct "
            "times), so this model was tested on a random slice, not the newest alerts: set schema.time_column to "
            "when each alert fired, or set it to \"\" to accept a random test slice knowingly, then train again")


def _held(block: dict[str, Any], auto_promote: bool) -> dict[str, Any]:
    if block["decision"] in PROMOTING and not auto_promote:
        block["decision"] = "held"
        block["reasons"].append("the challenger would be promoted, but promotion.auto_promote is off: promote it "
                                "by hand with `cla models promote ID`")
    return block


def failed_reasons(decision: dict[str, Any]) -> list[str]:
    """The reasons of a decision that kept the model out, without their ``failed: `` prefix."""
    return [r.removeprefix("failed: ") for r in decision.get("reasons") or []
            if not r.startswith(("passed: ", "note: "))]


def verdict(decision: dict[str, Any]) -> str:
    """The decision in one phrase that says why: ``not promoted: PR-AUC 0.560 vs champion 0.573 on ...``."""
    kind = decision.get("decision") or "not evaluated"
    if kind == "rejected":
        return "not promoted: " + ("; ".join(failed_reasons(decision)) or "no reason recorded")
    if kind == "held":
        return "held: " + (decision.get("reasons") or ["no reason recorded"])[-1]
    return kind.replace("_", " ")


def apply(decision: dict[str, Any], registry: Registry, model_id: str, *, actor: str) -> str:
    """Act on ``decision`` for the committed pair ``model_id``; returns what happened.

    ``first_champion``/``promoted`` move the champion pointer (a ``promoted``
    event); ``rejected`` and ``held`` append an event of that kind and leave
    the pointer alone. When the pointer cannot be moved (the pair failed its signature check
    since it was written), a ``rejected`` event records why and
    ``"rejected"`` is returned.
    """
    kind = decision.get("decision")
    details = {"decision": kind, "champion_id": decision.get("champion_id"), "metric": decision.get("metric"),
               "challenger": decision.get("challenger"), "champion": decision.get("champion")}
    if kind in PROMOTING:
        reason = ("first champion: " if kind == "first_champion" else "passed the promotion gate: ") + \
            "; ".join(decision.get("reasons") or [])
        try:
            registry.promote(model_id, actor=actor, reason=reason, **details)
            return kind
        except RegistryError as exc:
            append_event(registry.layout.events, "rejected", actor=actor, model_id=model_id,
                         message=f"could not be promoted: {exc}", **details)
            return "rejected"
    if kind == "rejected":
        append_event(registry.layout.events, "rejected", actor=actor, model_id=model_id,
                     message="; ".join(failed_reasons(decision)) or "rejected", **details)
    elif kind == "held":
        append_event(registry.layout.events, "held", actor=actor, model_id=model_id,
                     message=(decision.get("reasons") or ["held"])[-1], **details)
    return kind or "not_evaluated"
