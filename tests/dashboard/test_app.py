"""The entry point and the shared context: every page in every folder state, a bad config, ``cla dashboard``."""

from __future__ import annotations

import pytest

from dashboard import context
from trainer.cli.dashboard import command
from trainer.config import load_config

PAGES = ["views/overview.py", "views/trends.py", "views/balance.py", "views/model_detail.py", "views/models.py",
         "views/activity.py"]
SCENARIOS = ["empty", "legacy", "degenerate", "healthy", "crashed", "unreadable"]


@pytest.mark.parametrize("scenario", SCENARIOS, indirect=True)
def test_every_page_renders_in_every_state(scenario, build):
    app = build.run_app()
    assert not app.exception, f"Overview failed on the {scenario.name} folder: {app.exception}"
    for page in PAGES[1:]:
        app.switch_page(page).run()
        assert not app.exception, f"{page} failed on the {scenario.name} folder: {app.exception}"
        assert app.title, f"{page} drew nothing on the {scenario.name} folder"


def plant_a_bug(monkeypatch):
    """The Overview's banner logic raises a TypeError, as a real bug in a view would."""
    from dashboard import banner

    def broken(*args, **kwargs):
        raise TypeError("planted: derive_banner got a value of the wrong type")

    monkeypatch.setattr(banner, "derive_banner", broken)


@pytest.mark.page_error
@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_a_bug_in_a_view_is_shown_as_an_error_with_its_traceback_and_logged(scenario, build, monkeypatch, caplog):
    plant_a_bug(monkeypatch)
    app = build.run_app()
    assert any("Overview page hit an error CLA did not expect" in box.value and "nothing was changed" in box.value
               for box in app.error), [box.value for box in app.error]
    assert [e.proto.message for e in app.exception] == ["planted: derive_banner got a value of the wrong type"]
    assert any("derive_banner" in line or "broken" in line for line in app.exception[0].stack_trace)
    logged = [r for r in caplog.records if r.name == "cla.dashboard" and r.levelname == "ERROR"]
    assert logged and logged[0].exc_info and "Overview" in logged[0].getMessage()
    app.switch_page("views/models.py").run()  # the bug is the Overview's: the other pages still work
    assert not app.exception and app.title


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_a_bug_in_a_view_fails_the_test_that_runs_the_page(scenario, build, monkeypatch):
    from helpers.pageerrors import PageRaised

    plant_a_bug(monkeypatch)
    with pytest.raises(PageRaised, match="planted: derive_banner"):
        build.run_app()


@pytest.mark.parametrize("content, says", [
    ("[training]\nholdout_fraction = 2.0\n", "training.holdout_fraction"),
    ("this is = = not toml", "is not valid TOML"),
])
def test_bad_configuration_stops_with_its_message(dash_env, build, content, says):
    dash_env.config_file.write_text(content, encoding="utf-8")
    app = build.run_app()
    assert not app.exception
    assert len(app.error) == 1 and says in app.error[0].value and "cla dashboard --config" in app.error[0].value
    assert not app.metric, "no page may run on a configuration that failed to load"


def test_context_follows_the_environment_and_shares_one_watcher_per_folder(dash_env, tmp_path, monkeypatch):
    assert context.get_config().layout.root == dash_env.models_dir
    watcher = context.get_watcher()
    assert context.get_watcher() is watcher and watcher.alive
    other = tmp_path / "other-models"
    monkeypatch.setenv("CLA_MODELS_DIR", str(other))
    assert context.get_config().layout.root == other
    assert context.get_watcher() is not watcher and context.get_watcher().root == other
    assert context.get_registry() is context.get_registry()


def test_cla_dashboard_command_passes_port_address_and_folder(dash_env):
    config = load_config(dash_env.config_file)
    argv, env = command(config, port=8610, address="0.0.0.0")
    assert argv[1:4] == ["-m", "dashboard.serve", "run"] and argv[4].endswith("dashboard/app.py")
    options = dict(zip(argv[5::2], argv[6::2]))
    assert options["--server.port"] == "8610" and options["--server.address"] == "0.0.0.0"
    assert options["--browser.gatherUsageStats"] == "false" and options["--server.headless"] == "true"
    assert argv.count("--server.port") == 1
    assert env["CLA_MODELS_DIR"] == str(dash_env.models_dir) and env["CLA_CONFIG"] == str(dash_env.config_file)


def test_cla_dashboard_defaults_to_localhost_8503(workdir):
    argv, env = command(load_config())
    options = dict(zip(argv[5::2], argv[6::2]))
    assert (options["--server.port"], options["--server.address"]) == ("8503", "127.0.0.1")
    assert "CLA_CONFIG" not in env and env["CLA_MODELS_DIR"] == str(workdir / "models")


def test_warm_up_lists_the_folder_as_the_server_starts_so_the_first_page_reads_no_file(dash_env, build, monkeypatch,
                                                                                      caplog):
    """``dashboard.serve``'s warm-up fills the registry the pages share: the first page opens no metrics file."""
    from dashboard import serve
    from trainer.folder import listing

    serve.warm_up()  # an empty folder: nothing to read, and its throwaway chart and table still draw
    assert "warm-up skipped" not in caplog.text
    for i in range(3):
        build.write_pair(dash_env.models_dir, build.healthy_metrics(build.stamp(i)))
    serve.warm_up()
    assert "warm-up skipped" not in caplog.text, "the folder was read and the first draws done without an error"
    reads = []
    original = listing.read_fields
    monkeypatch.setattr(listing, "read_fields", lambda *args: reads.append(args) or original(*args))
    app = build.run_app()
    assert not app.exception
    assert {m.label: m.value for m in app.metric}["Models trained"] == "3"
    assert reads == [], "the pairs were read at the start, not by the first page"


def test_a_failed_warm_up_leaves_the_first_page_to_say_what_is_wrong(dash_env, build, caplog):
    dash_env.config_file.write_text("this is = = not toml", encoding="utf-8")
    from dashboard import serve

    serve.warm_up()
    assert "dashboard warm-up skipped" in caplog.text and "not valid TOML" in caplog.text
    app = build.run_app()
    assert len(app.error) == 1 and "is not valid TOML" in app.error[0].value


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_a_bug_in_the_warm_up_is_raised_to_the_threads_hook_not_logged_as_a_warning(scenario, monkeypatch):
    from dashboard import serve, snapshot

    def broken(current):
        raise TypeError("planted: a chart builder got a value of the wrong type")

    monkeypatch.setattr(snapshot, "WARM_BUILDS", (broken,))
    with pytest.raises(TypeError, match="planted"):
        serve.warm_up()


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_no_page_but_review_imports_scikit_learn_or_scipy(scenario, build):
    """Every import is paid by the first page after a start: these two cost it over a second.

    The Review page scores alerts with the champion, so it loads the model's libraries; no other page needs them.
    """
    import subprocess
    import sys
    from pathlib import Path

    probe = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"app = AppTest.from_file({str(build.APP)!r}, default_timeout=60)\n"
        "app.run()\n"
        f"for page in {PAGES[1:] + ['views/drift.py', 'views/backtest.py']!r}:\n"
        "    app.switch_page(page).run()\n"
        "    assert not app.exception, (page, app.exception)\n"
        "print(sorted({name.split('.')[0] for name in sys.modules} & {'sklearn', 'scipy'}))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                          cwd=Path(build.APP).parents[1])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_warm_up_builds_the_charts_first_visits_to_trends_and_class_balance_draw(dash_env, build):
    """Their default charts are built while the server starts; the first visits draw those, and build none."""
    from dashboard import serve
    from dashboard.snapshot import snapshot

    for i in range(3):
        build.write_pair(dash_env.models_dir, build.healthy_metrics(build.stamp(i)))
    serve.warm_up()
    current = snapshot()
    charts = [name for name in current.derived if "_figure" in name]
    assert sorted(name.split("_figure")[0] for name in charts) == ["balance", "trends"]
    for page in ("views/trends.py", "views/balance.py"):
        app = build.run_app(page)
        assert not app.exception and app.get("plotly_chart"), page
    assert snapshot() is current, "the pages read the snapshot the warm-up filled"
    assert [name for name in current.derived if "_figure" in name] == charts, "and drew its charts, building none"
