"""``cla drift [--json] [--refresh]``: the champion's drift and live-performance report.

Prints the report the trainer service wrote (``drift_report.json``) when it
is fresh (about the current champion, no feedback arrived since), and
otherwise computes one now and writes it
(:func:`trainer.monitoring.report.current_report`), so it works with the
service stopped. ``--json`` prints one object per
feature, most drifted first; a report that cannot be computed (no champion,
no time window, an unreadable source) is an error with its reason.
"""

from __future__ import annotations

import json
from typing import Any

from trainer.cli import CLIError

JSON_KEYS = ("feature", "kind", "psi", "test", "statistic", "p_value", "level", "importance_share",
             "unseen_categories", "reference_rows", "recent_rows")


def register(sub, common) -> None:
    parser = sub.add_parser("drift", parents=[common], help="drift and live performance of the champion",
                            description="Compare the alerts since the champion was trained with its training "
                                        "window, and score it on the verdicts that arrived since (docs/DRIFT.md).")
    parser.add_argument("--json", action="store_true", help="one JSON object per feature, most drifted first")
    parser.add_argument("--refresh", action="store_true", help="compute a new report even when a fresh one exists")
    parser.add_argument("--summary", action="store_true",
                        help="only the verdict the dashboard shows: level (unknown, unreliable, none, moderate, "
                             "major), the flagged features, the sample and its floor (one JSON object with --json)")
    parser.set_defaults(handler=handle_drift)


def _fmt(value: Any, digits: int = 3) -> str:
    return "unknown" if value is None else f"{value:.{digits}f}"


def _pct(value: Any) -> str:
    return "unknown" if value is None else f"{value:.1%}"


def _interval(values, pct: bool = False) -> str:
    low, high = (values or [None, None])[:2]
    show = _pct if pct else _fmt
    return f"[{show(low)}, {show(high)}]"


def handle_drift(args, config) -> int:
    from trainer.contract.drift_report import DriftReport
    from trainer.monitoring.report import current_report, verdict

    written, computed = current_report(config, force=args.refresh)
    report = DriftReport.from_json(written)
    if report.error:
        raise CLIError(f"no drift report: {report.error}")
    if args.summary:
        said = verdict(report)
        if args.json:
            print(json.dumps(said.to_json(), indent=2))
        else:
            flagged = f" on {', '.join(said.flagged)}" if said.flagged else ""
            print(f"drift {said.level}{flagged} · {said.recent_rows} recent alerts (floor {said.min_rows}) · "
                  f"champion {said.champion_id} · computed {said.computed_at}")
        return 0
    if args.json:
        rows = [row.to_json() for row in report.features]
        print(json.dumps([{key: row[key] for key in JSON_KEYS} for row in rows], indent=2))
        return 0
    print_report(report, computed, config)
    return 0


def print_report(report, computed: bool, config) -> None:
    from trainer.contract.drift_report import DriftWindow, Prevalence

    window = report.window or DriftWindow()
    origin = "computed now" if computed else "read from drift_report.json"
    print(f"drift report for champion {report.champion_id}, {report.computed_at} ({origin})")
    print(f"recent alerts: {window.recent_rows} fired after {window.recent_after} "
          f"({window.recent_labelled} with a verdict); training window: {window.reference_rows} "
          f"verdicts, {window.training_start} to {window.training_end}")
    if not report.enough_data:
        print(f"fewer than drift.min_rows = {config.drift.min_rows} recent alerts: no feature is flagged yet")
    print(f"\n{'feature':<22} {'kind':<12} {'PSI':>7} {'test':>5} {'statistic':>10} {'p-value':>9}  level")
    for row in report.features:
        p_value = "unknown" if row.p_value is None else f"{row.p_value:.1e}"
        unseen = row.unseen_categories
        extra = f"  new: {', '.join(unseen[:5])}" + (" ..." if len(unseen) > 5 else "") if unseen else ""
        print(f"{row.feature:<22} {row.kind:<12} {_fmt(row.psi):>7} {row.test:>5} "
              f"{_fmt(row.statistic):>10} {p_value:>9}  {row.level}{extra}")
    score = report.score
    print("\nchampion score: " + (f"PSI {_fmt(score.psi)} against its test slice, {score.level}" if score
                                  else f"unknown ({report.score_error or 'no recent alerts or no test slice'})"))
    prevalence = report.prevalence or Prevalence()
    training, recent = prevalence.training, prevalence.recent
    print(f"true-positive share: training {_pct(training.share)}, recent {_pct(recent.share)} "
          f"{_interval([recent.low, recent.high], pct=True)} over {recent.verdicts} verdicts"
          + (" — changed" if prevalence.flagged else ""))
    live = report.live
    if live:
        overall, test = live.overall, live.test_slice
        print(f"live on {overall.verdicts} new verdicts: recall {_fmt(overall.recall)} "
              f"{_interval(overall.recall_interval)} (test slice {_fmt(test.recall)}, held to "
              f"{_fmt(live.recall_reference)}), precision {_fmt(overall.precision)} "
              f"{_interval(overall.precision_interval)}, PR-AUC {_fmt(overall.pr_auc)} "
              f"{_interval(overall.pr_auc_interval)} (test slice {_fmt(test.pr_auc)})"
              + (f"; a uniform sample of the {live.sampled_from} new verdicts" if live.sampled_from else ""))
    else:
        print("live performance: unknown (no verdict since the champion was trained)")
    for kind, evidence in (("drift", report.signals.drift), ("performance", report.signals.performance)):
        if evidence:
            print(f"{kind} trigger: {evidence.message}")
