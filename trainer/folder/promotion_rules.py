"""The promotion gate's rules in words, with no scikit-learn: what the dashboard's Overview imports.

:func:`change_words` says a challenger's change against ``promotion.min_absolute_change``
("0.013 lower (outside the rule: ...)"); :func:`champion_slide` finds
successive promotions, each within an allowed drop, that added up to more
than one drop allows. :mod:`trainer.folder.promotion` judges with them.
"""

from __future__ import annotations

__all__ = ["METRIC_NAMES", "change_words", "champion_slide", "digits_for"]

METRIC_NAMES = {"pr_auc": "PR-AUC", "roc_auc": "ROC-AUC", "recall": "recall", "precision": "precision",
                "f1_score": "F1"}


def digits_for(new: float, old: float, change: float, bound: float) -> int:
    """Three decimals, or five when three would print a failing change equal to its bound, or two different
    scores as the same number."""
    three = (f"{change:+.3f}" == f"{bound:+.3f}" and change < bound) or (change != 0 and f"{new:.3f}" == f"{old:.3f}")
    return 5 if three else 3


def change_words(change: float, bound: float) -> str:
    """A change against its bound in words a person reads at once ("0.013 lower; a drop of up to 0.010 is allowed").

    ``bound`` is ``promotion.min_absolute_change``: negative allows a small
    drop (so a model trained on newer data can replace the champion), zero
    asks for no drop, positive asks for a gain.
    """
    digits = 5 if f"{abs(change):.3f}" == f"{abs(bound):.3f}" and change != bound else 3
    size = f"{abs(change):.{digits}f}"
    said = "the same" if f"{change:.{digits}f}" in ("0.000", "-0.000", "0.00000", "-0.00000") else \
        f"{size} {'higher' if change > 0 else 'lower'}"
    if bound < 0:
        rule = f"a drop of up to {abs(bound):.3f} is allowed, so a model trained on newer data can replace it"
    elif bound == 0:
        rule = "no drop is allowed"
    else:
        rule = f"a gain of at least {bound:.3f} is required"
    verdict = "within the rule" if change >= bound else "outside the rule"
    return f"{said} ({verdict}: {rule}; promotion.min_absolute_change = {bound:g})"


def champion_slide(lineage: list[tuple[str, float | None]], *, bound: float, label: str = "PR-AUC") -> str | None:
    """A sentence when successive promotions, each within ``bound``, added up to a larger fall; else None.

    ``lineage`` is the champions in the order they served, oldest first, the
    current one last, each with its stored metric. Each promotion may lower
    the metric by up to ``-bound`` (``promotion.min_absolute_change`` < 0):
    five such steps in a row fall five times as far, which no single gate
    sees. The run counted is the current champion's unbroken run of
    non-rising champions; the sentence names where it started, and says that
    each number was measured on its own model's test slice.
    """
    if bound >= 0 or len(lineage) < 3:
        return None
    run = [lineage[-1]]
    for model_id, value in reversed(lineage[:-1]):
        if value is None or run[-1][1] is None or value < run[-1][1]:
            break
        run.append((model_id, value))
    start, end = run[-1], run[0]
    steps = len(run) - 1
    if steps < 2 or start[1] is None or end[1] is None or start[1] - end[1] <= abs(bound) + 1e-12:
        return None
    return (f"the champion's {label} fell from {start[1]:.3f} ({start[0]}) to {end[1]:.3f} ({end[0]}) over {steps} "
            f"promotions in a row, each within the allowed drop of {abs(bound):.3f} "
            "(promotion.min_absolute_change); each was measured on its own test slice, so part of the fall may be "
            "harder data. Compare them on the Trends page; raise promotion.min_absolute_change to 0 to stop the slide")
