"""A hostile or broken backtest.json is named as what it is, at once: never a hang, never a crash.

The Backtest page shows the same error (``tests/dashboard/test_backtest_page.py``).
"""

from __future__ import annotations

import os
import time

import pytest

from trainer.backtest import BacktestError, read_report


def test_a_fifo_named_like_the_report_is_refused_at_once(tmp_path):
    report = tmp_path / "backtest.json"
    os.mkfifo(report)  # a reader that opened it blocking would wait for a writer forever
    started = time.monotonic()
    with pytest.raises(BacktestError, match="not a regular file"):
        read_report(report)
    assert time.monotonic() - started < 2


def test_a_truncated_report_is_named_not_shown(tmp_path):
    report = tmp_path / "backtest.json"
    report.write_text('{"steps": 3, "contenders": {"cla": {"pr_auc": 0.8', encoding="utf-8")
    with pytest.raises(BacktestError, match="backtest.json is not JSON"):
        read_report(report)


def test_a_symlink_to_a_device_is_not_followed(tmp_path):
    report = tmp_path / "backtest.json"
    os.symlink("/dev/zero", report)
    with pytest.raises(BacktestError, match="backtest.json is a symbolic link"):
        read_report(report)
