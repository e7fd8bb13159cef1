"""What every page reads from the registry (Overview, Trends, Class balance, Model detail, Models, Activity), once per change.

:func:`snapshot` asks ``context.get_registry()`` for the model summaries, the
registry's problems and the event log only when the process-wide watcher
(``context.get_watcher()``) reports a new generation, and shares the result
with every browser session of the process (one :class:`SharedSnapshot` per
models folder in ``st.cache_resource``): only the first session after a
change pays for the read. :func:`rerun_on_change` is each page's live part: a ``run_every``
fragment that reruns the page only when the watcher counted a change, so a
quiet folder is neither re-read nor redrawn. :func:`list_models` is how
pages list the registry: after a watcher-counted change it rescans every
file, so a metrics file truncated in place or a tampered champion shows
at once. :func:`full_metrics` keeps
the full metrics dicts of the few models a page looks at, keyed by model id
(a pair never changes once written).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

import streamlit as st

from dashboard import balance_charts, charts, context, tables
from dashboard.tables import is_model, problem_frame, records

METRICS_KEY = "_full_metrics"
METRICS_KEPT = 32


@dataclass
class Snapshot:
    """The registry at one watcher generation: every summary as a dict, problems, events, champion id.

    Shared by every session of the process: pages read it and never change
    its rows or derived frames in place.
    """

    generation: object
    rows: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    champion_id: str | None = None
    #: the champion a rollback returns to (the pointer's newest ``previous``), None when there is none
    rollback_target: str | None = None
    #: the older champions, newest first: where successive rollbacks go
    history: list[str] = field(default_factory=list)
    derived: dict = field(default_factory=dict, repr=False)
    derive_lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    @cached_property
    def models(self) -> list[dict]:
        """Readable models only, oldest first."""
        return [row for row in self.rows if is_model(row)]

    @cached_property
    def broken(self) -> list[dict]:
        """Incomplete and unreadable files."""
        return [row for row in self.rows if not is_model(row)]

    def derive(self, name: str, build: Callable[[], Any]) -> Any:
        """``build()``, computed once per snapshot for all sessions: frames that every rerun would otherwise rebuild."""
        with self.derive_lock:
            if name not in self.derived:
                self.derived[name] = build()
            return self.derived[name]

    def latest(self) -> dict | None:
        """The newest readable model (highest id), found once per snapshot."""
        models = self.models
        return self.derive("latest", lambda: max(models, key=lambda r: str(r.get("model_id")))) if models else None


def list_models(registry) -> list:
    """``registry.list_models()``; every file is stat'ed again when the watcher is the one counting changes.

    Pages call this only when the watcher counted a change, and that change
    may be a file altered in place (the folder's mtime, which the registry
    trusts otherwise, does not move then).
    """
    return registry.list_models(rescan=context.get_watcher().alive)


def watcher_generation() -> object:
    """The watcher's count of pair, champion and event-log changes, with the models folder.

    Status heartbeats and log lines do not count: they change nothing these
    pages show. When the watcher is not watching (the folder is gone, or could
    not be watched), each refresh period is a new generation, so the pages
    poll rather than show a stale folder; ``check()`` re-arms it on a folder
    that was deleted and re-created.
    """
    config = context.get_config()
    watcher = context.get_watcher()
    if watcher.check():
        count = watcher.generation_of("pairs", "champion", "events")
    else:
        count = f"clock {int(time.monotonic() // config.dashboard.refresh_seconds)}"
    return (str(config.layout.root), count)


class SharedSnapshot:
    """The newest :class:`Snapshot` of one models folder, shared by every session; ``lock`` guards reads and swaps."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.current: Snapshot | None = None


@st.cache_resource(show_spinner=False)
def _shared_for(models_dir: str) -> SharedSnapshot:
    return SharedSnapshot()


def snapshot() -> Snapshot:
    """The current :class:`Snapshot`, re-read from the registry only after the watcher saw a change.

    Sessions share it: the first one to ask after a change reads the
    registry while the others wait for that read instead of repeating it.
    A registry that cannot be read gives an empty snapshot whose ``problems``
    say why; it is not kept, so the next call tries again.
    """
    shared = _shared_for(str(context.get_config().layout.root))
    with shared.lock:
        generation = watcher_generation()
        cached = shared.current
        if cached is not None and cached.generation == generation:
            return cached
        try:
            registry = context.get_registry()
            rows = sorted(records(list_models(registry)), key=lambda r: str(r.get("model_id")))
            champion = registry.champion()
            current = Snapshot(generation=generation, rows=rows, problems=list(registry.problems()),
                               events=list(registry.events()),
                               champion_id=champion.model_id if champion is not None else None,
                               rollback_target=next(iter(champion.previous), None) if champion is not None else None,
                               history=list(champion.previous) if champion is not None else [])
        except Exception as exc:  # noqa: BLE001 - a folder that cannot be read is shown as a problem, never fatal
            return Snapshot(generation=None, problems=[f"the models folder {generation[0]} cannot be read: {exc}"])
        shared.current = current
        return current


def trend_frame(current: Snapshot):
    """Every model's scores over time (:func:`dashboard.charts.trend_frame`), built once per snapshot: Trends."""
    return current.derive("trend_frame", lambda: charts.trend_frame(current.models))


def models_frame(current: Snapshot):
    """The registry table (:func:`dashboard.tables.models_frame`), built once per snapshot: the Models page."""
    return current.derive("models_frame", lambda: tables.models_frame(current.models, current.events))


def trend_view(current: Snapshot, metrics: tuple[str, ...], *, last_n: int | None = None, start=None, end=None,
               smoothing: tuple[str, int] | None = None):
    """The models of one Trends view, smoothed by ``(statistic, window)`` when asked: what its chart and table show."""
    drawn = charts.select_range(trend_frame(current), last_n=last_n, start=start, end=end)
    if smoothing:
        how, window = smoothing
        drawn = charts.smooth(drawn, [*metrics, "positive_rate"], window=window, how=how)
    return drawn


def trends_figure(current: Snapshot, metrics: tuple[str, ...], *, last_n: int | None = None, start=None, end=None,
                  smoothing: tuple[str, int] | None = None):
    """Trends' chart for one view (scores, range, ``(statistic, window)`` smoothing), built once per snapshot.

    Shared by every session (``st.plotly_chart`` copies a figure, never
    changes it); :mod:`dashboard.serve` builds the default view while the
    server starts.
    """
    def build():
        drawn = trend_view(current, metrics, last_n=last_n, start=start, end=end, smoothing=smoothing)
        promotions = current.derive("promotions", lambda: charts.promotion_frame(current.models, current.events))
        figure = charts.trends_figure(drawn, metrics, promotions, triggers=training_triggers(current))
        figure.update_layout(uirevision="trends")
        return figure

    return current.derive(f"trends_figure_{(tuple(metrics), last_n, start, end, smoothing)}", build)


def training_triggers(current: Snapshot) -> dict[str, str]:
    """Why each model's training ran (:func:`dashboard.charts.training_triggers`), once per snapshot."""
    return current.derive("training_triggers", lambda: charts.training_triggers(current.events))


def default_trends_figure(current: Snapshot):
    """The chart a new tab on Trends opens with: the default scores over the default range."""
    return trends_figure(current, charts.default_trend_metrics(current.models),
                         last_n=charts.default_last_n(current.models))


def balance_frame(current: Snapshot):
    """Class balance's shares of the newest :data:`dashboard.balance_charts.CHART_MODELS` models, once per snapshot."""
    newest = current.models[-balance_charts.CHART_MODELS:]
    return current.derive("balance_frame", lambda: balance_charts.balance_frame(newest))


def balance_figure(current: Snapshot, warn_share: float | None = None):
    """Class balance's headline chart against the warning threshold (the configured one by default), once per snapshot.

    Shared by every session; :mod:`dashboard.serve` builds it while the server starts.
    """
    if warn_share is None:
        warn_share = context.get_config().training.severe_imbalance_share
    rates = balance_frame(current)
    return current.derive(f"balance_figure_{warn_share}", lambda: balance_charts.balance_figure(rates, warn_share))


#: what :mod:`dashboard.serve` builds while the server starts: with 10,000 models the two frames were most of a
#: first visit to Trends and Models; the two charts are the ones a first visit to Trends and Class balance draws
WARM_BUILDS = (trend_frame, models_frame, default_trends_figure, balance_figure)


def full_metrics(model_id: str) -> dict:
    """The full metrics dict of one model (``Registry.get``), kept for the session.

    A pair never changes once written; what ``get`` adds from the champion
    pointer (a promotion marked interrupted after a killed training) is part
    of the key, so a page open across that restart shows the mark.
    Raises whatever ``Registry.get`` raises for an unknown or unreadable model.
    """
    kept: dict[str, dict] = st.session_state.setdefault(METRICS_KEY, {})
    interrupted = model_id in context.get_registry().interrupted()
    key = f"{context.get_config().layout.root}:{model_id}:{'interrupted' if interrupted else ''}"
    if key not in kept:
        if len(kept) >= METRICS_KEPT:
            kept.pop(next(iter(kept)))
        kept[key] = context.get_registry().get(model_id)
    return kept[key]


def problem_notice(current: Snapshot) -> None:
    """One warning line when files in the models folder cannot be used (details on the Models page)."""
    problems = current.derive("problems", lambda: problem_frame(current.broken, current.problems))
    if len(problems):
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        st.warning(f"Problem in the models folder: {problems['problem'].iloc[0]}{more}. "
                   "Every problem is listed on the Models page.")


def rerun_on_change(shown: Snapshot) -> None:
    """The page's live part: a ``run_every`` fragment that reruns the page once the folder changed.

    Every ``dashboard.refresh_seconds`` it compares the watcher's generation
    with the one ``shown`` was read at, which costs a counter read; only a
    change reruns the page (and re-reads the registry). A quiet folder costs
    no re-read and no redraw of charts built from thousands of models.
    """

    @st.fragment(run_every=context.get_config().dashboard.refresh_seconds)
    def watch_models_folder() -> None:
        if watcher_generation() != shown.generation:
            st.rerun()

    watch_models_folder()
