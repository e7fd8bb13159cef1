"""The backtest report file: reading it without trusting it, into a typed report.

Kept apart from the replay so the dashboard's Backtest page reads a report
without importing pandas' and scikit-learn's training code. The report's type
and :class:`BacktestError` live in `trainer.contract.backtest_report`.
"""

from __future__ import annotations

import json

from trainer.contract.backtest_report import BacktestError, BacktestReport
from trainer.reading import JSON_MAX_BYTES, UnsafeFile, read_regular

__all__ = ["BacktestError", "BacktestReport", "read_report", "REPORT_MAX_BYTES"]

REPORT_MAX_BYTES = JSON_MAX_BYTES
"""A backtest report larger than this is not read (a year of hourly steps is a few megabytes)."""


def read_report(path) -> BacktestReport:
    """The backtest report at ``path`` (``ModelsLayout.backtest_report``), as ``cla backtest`` wrote it.

    Only a regular file is opened (never a FIFO or a device), without blocking.
    Raises ``FileNotFoundError`` when there is none, and :class:`BacktestError`
    naming the file when it is too large, not JSON, or not a report.
    """
    try:
        data = read_regular(path, REPORT_MAX_BYTES)
    except UnsafeFile as exc:
        raise BacktestError(f"{exc}; run `cla backtest` into an empty folder again") from None
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise BacktestError(f"{path} cannot be opened ({exc.strerror or exc}); it must be a regular file "
                            "that `cla backtest` wrote") from None
    try:
        report = json.loads(data)
    except ValueError as exc:
        raise BacktestError(f"{path} is not JSON ({exc}); run `cla backtest` into an empty folder again") from None
    if not isinstance(report, dict) or not isinstance(report.get("contenders"), dict) \
            or not isinstance(report.get("per_step"), list):
        raise BacktestError(f"{path} is not a backtest report (no contenders or steps)")
    return BacktestReport.from_json(report)
