"""What keeps a models folder's champion from serving, and whether its models are useful: facts, no wording for a page.

:func:`champion_problem` reads one row of ``Registry.list_models()`` (an
object or its dict) and says why the champion cannot serve (a failed
signature check, an unsigned or unreadable file). :func:`degraded_reason`
says why learning is degraded: the champion or the newest model is not useful.
The dashboard's banner (`dashboard.state`) and the service's notifications
(`trainer.service.ops_notices`) both ask these, so they agree.
"""

from __future__ import annotations

from typing import Any, Iterable


def field_of(summary: Any, name: str) -> Any:
    """``summary[name]`` for a dict, ``summary.name`` for a ``ModelSummary``."""
    return summary.get(name) if isinstance(summary, dict) else getattr(summary, name, None)


def champion_problem(summary: Any) -> str | None:
    """Why the champion's row keeps it from serving, or None: a failed signature check or an unreadable file."""
    model_id = field_of(summary, "model_id")
    if (field_of(summary, "status") or "ok") != "ok":
        return f"the champion {model_id} is {field_of(summary, 'status')}: {field_of(summary, 'error') or 'unknown'}"
    if field_of(summary, "integrity_reason"):
        return f"the champion {model_id} is {field_of(summary, 'integrity')}: {field_of(summary, 'integrity_reason')}"
    return None


def _codes(summary: Any) -> str:
    return ", ".join(field_of(summary, "warnings") or ()) or "no warning recorded"


def degraded_reason(summaries: Iterable[Any]) -> tuple[str | None, str | None]:
    """(the model concerned, one sentence) when the champion or the newest model is known not to be useful, else (None, None).

    ``useful`` unknown (an old CLA metrics file) is not "not useful": nothing is claimed.
    """
    rows = [s for s in summaries if (field_of(s, "status") or "ok") == "ok"]
    champion = next((s for s in rows if field_of(s, "is_champion")), None)
    if champion is not None and field_of(champion, "useful") is False:
        model_id = field_of(champion, "model_id")
        return model_id, f"the champion {model_id} is not useful ({_codes(champion)})"
    if not rows:
        return None, None
    newest = max(rows, key=lambda s: str(field_of(s, "model_id")))
    if field_of(newest, "useful") is False:
        model_id = field_of(newest, "model_id")
        serving = (f"; the champion {field_of(champion, 'model_id')} still serves" if champion is not None
                   else "; there is no champion")
        return model_id, f"the newest model {model_id} is not useful ({_codes(newest)}){serving}"
    return None, None
