"""Issue 26, item 1 on the dashboard: a FIFO, a link to /dev/zero and a 2 GB sparse file named like pairs never
hang a page; the champion beside them is shown as before and the files are listed as what they are."""

from __future__ import annotations

import os
import threading

from helpers.pagetext import no_exception, page_text, table_with

from trainer.contract.layout import ModelsLayout
from trainer.folder.registry import Registry

OVERVIEW, MODELS, DRIFT, ACTIVITY = "views/overview.py", "views/models.py", "views/drift.py", "views/activity.py"


def test_every_page_serves_beside_special_files_named_like_pairs(dash_env, build):
    champion = build.stamp(2)
    build.write_pair(dash_env.models_dir, build.healthy_metrics(champion), model_id=champion)
    Registry(dash_env.models_dir).promote(champion, actor="test")
    layout = ModelsLayout.of(dash_env.models_dir)
    os.mkfifo(layout.metrics_path("20261209_000000"))
    os.symlink("/dev/zero", layout.metrics_path("20261209_000001"))
    with open(layout.metrics_path("20261209_000002"), "wb") as handle:
        handle.truncate(2 << 30)
    os.mkfifo(layout.drift_report)
    layout.events.unlink()
    os.mkfifo(layout.events)
    done = threading.Event()
    apps = {}

    def walk() -> None:
        for page in (OVERVIEW, MODELS, DRIFT, ACTIVITY):
            apps[page] = build.run_app(page, timeout=20)
        done.set()

    walker = threading.Thread(target=walk, daemon=True)
    walker.start()
    assert done.wait(60), "a page hung on a special file"
    for app in apps.values():
        no_exception(app)
    overview = page_text(apps[OVERVIEW])
    assert "PR-AUC 0.810" in overview
    problems = table_with(apps[MODELS], "problem")
    text = " ".join(problems.astype(str).agg(" ".join, axis=1))
    assert "model_metrics_20261209_000000.json is a FIFO, not a regular file" in text
    assert "model_metrics_20261209_000001.json is a symbolic link" in text
    assert "model_metrics_20261209_000002.json holds 2,147,483,648 bytes" in text
    assert "is a FIFO, not a regular file" in page_text(apps[DRIFT])
