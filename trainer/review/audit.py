"""How much the champion misses in production, estimated from the audit queue's verdicts.

The champion splits the alerts it scored into those at or above its threshold
(flagged: analysts triage them) and those below (skipped). Recall in
production is ``caught / (caught + missed)``: ``caught = N_above * p_above``
and ``missed = N_below * p_below``, where ``N`` are the counts of alerts the
champion scored when the audit sample was drawn (the audit population) and
``p`` the shares of true positives. ``p_below`` comes only from the audit
queue, a uniform random sample of the skipped alerts; ``p_above`` from the
verdicts given on flagged alerts (in a SOC every flagged alert is triaged;
when only some are, the ones chosen by the risk queue push it up).

The interval is exact-binomial (Clopper-Pearson, :func:`scipy.stats.binomtest`)
for each share and monotone in each, so it covers the true recall at least
as often as stated: when every flagged alert has a verdict ``p_above`` is
known and only ``p_below`` is uncertain; otherwise each share gets half the
error budget (Bonferroni). ``python -m bench review`` measures the coverage.
"""

from __future__ import annotations

from trainer.contract.review_summary import RecallEstimate

__all__ = ["RecallEstimate", "estimate"]


def _interval(k: int, n: int, level: float) -> tuple[float, float]:
    from scipy.stats import binomtest  # here: the Overview reads the stored estimate without scipy's import

    ci = binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


def _recall(caught: float, missed: float) -> float:
    total = caught + missed
    return caught / total if total > 0 else 1.0


def estimate(*, model_id: str, n_above: int, n_below: int, flagged: tuple[int, int], audited: tuple[int, int],
             level: float = 0.9, min_audit: int = 30) -> RecallEstimate:
    """The estimate from ``flagged = (positives, verdicts)`` on flagged alerts and ``audited`` likewise on the audit sample."""
    flagged_pos, flagged_n = flagged
    audit_pos, audit_n = audited
    base = dict(model_id=model_id, level=level, audit_verdicts=audit_n, audit_positives=audit_pos,
                flagged_verdicts=flagged_n, flagged_positives=flagged_pos, n_above=n_above, n_below=n_below,
                enough=audit_n >= min_audit)
    if audit_n == 0 or (n_above > 0 and flagged_n == 0):
        return RecallEstimate(recall=None, low=None, high=None, **base)
    p_below = audit_pos / audit_n
    p_above = flagged_pos / flagged_n if flagged_n else 0.0
    census = flagged_n >= n_above
    share_level = level if census else 1 - (1 - level) / 2
    below_lo, below_hi = _interval(audit_pos, audit_n, share_level)
    above_lo, above_hi = (p_above, p_above) if census or not flagged_n else _interval(flagged_pos, flagged_n, share_level)
    recall = _recall(n_above * p_above, n_below * p_below)
    low = _recall(n_above * above_lo, n_below * below_hi)
    high = _recall(n_above * above_hi, n_below * below_lo)
    return RecallEstimate(recall=recall, low=low, high=high, **base)
