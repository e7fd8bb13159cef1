"""Backtest: replay a labelled history through CLA's real cycle and see what it would have done.

:mod:`.steps` is the replay's clock (step boundaries, which labels are known when),
:mod:`.history` the table replayed and the feedback source the cycle sees at each
step, :mod:`.contenders` the static model, the old recipe and River's online
learner, :mod:`.replay` the loop, and :mod:`.report` the report file (read
without the training code). ``cla backtest``,
``bench/bench_backtest.py`` and the dashboard's Backtest page use this face only;
its names load on first use.
"""

from __future__ import annotations

from trainer.faces import lazy_face

#: public name -> the module that defines it
_HOMES = {
    "BacktestOptions": "replay", "run_backtest": "replay", "step_metrics": "replay", "summarise": "replay",
    "REPORT_VERSION": "replay",
    "BacktestError": "report", "BacktestReport": "report", "read_report": "report", "REPORT_MAX_BYTES": "report",
    "History": "history", "ReplaySource": "history",
    "CONTENDERS": "contenders",
    "Step": "steps", "parse_every": "steps", "describe_length": "steps", "plan_steps": "steps", "known_at": "steps", "WARMUP_SHARE": "steps",
}

__getattr__, __dir__, __all__ = lazy_face(__name__, _HOMES)
