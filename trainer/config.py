"""CLA configuration: one typed object, read from one TOML file.

Declares the option groups (:class:`SourceConfig`, :class:`SchemaConfig`,
:class:`TrainingConfig`, :class:`PromotionConfig`, :class:`RetentionConfig`,
:class:`ServiceConfig`, :class:`DashboardConfig`, and the layers' own
`trainer.monitoring.settings.DriftConfig`, `trainer.notify.settings.NotifyConfig` and
`trainer.review.settings.ReviewConfig`) and :class:`Config`, which holds them.
:func:`load_config` resolves the file (``--config``, then ``CLA_CONFIG``, then
``./cla.toml`` if present, else the built-in defaults), then applies
``CLA_MODELS_DIR``, ``CLA_MODEL_KEY``, ``CLA_NOTIFY_SECRET`` and any
command-line overrides.

Every option is declared once, with `trainer.options.opt`, as a dataclass
field with its default, a ``help`` string and its allowed values; those of
``training.preset``, ``training.model`` and ``training.imbalance`` come from
`trainer.learning.families`, ``source.kind`` from `trainer.feedback.sources.KINDS`,
``training.objective`` from `trainer.learning.thresholds.OBJECTIVES` and
``training.calibration`` from `trainer.learning.calibration.METHODS` (imported
only when a value other than the default is checked). Every option group checks
its values on construction, so a config built in code is checked as one read
from a file. A bad value raises :class:`ConfigError` naming the
key (``training.holdout_fraction``) and what is allowed. Relative paths are
resolved against the working directory, never the home directory.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer.addresses import check_addresses, redact_url
from trainer.contract.layout import ModelsLayout
from trainer.learning import families
from trainer.monitoring.settings import DriftConfig
from trainer.notify.settings import NotifyConfig
from trainer.review.settings import ReviewConfig
from trainer.options import ConfigError, allowed_values, check_fields, coerce, opt, owned_by

DEFAULT_CONFIG_NAME = "cla.toml"
#: environment variable naming the model key file (overrides ``model_key_file``)
MODEL_KEY_ENV = "CLA_MODEL_KEY"
#: environment variable holding the webhook signing secret (overrides ``notify.secret``)
NOTIFY_SECRET_ENV = "CLA_NOTIFY_SECRET"
#: the choices of ``dashboard.watcher``; the dashboard's watcher keys its observers by them
WATCHER_CHOICES = ("auto", "inotify", "poll")


@dataclass
class SourceConfig:
    """Where feedback is read from."""

    kind: str = opt("sqlite", "Feedback source: the embedded SQLite store, files (CSV/Parquet) or BigQuery.",
                    choices=owned_by("trainer.feedback.sources", "KINDS"))
    path: str = opt("data/feedback.db", "SQLite file (kind=sqlite) or a file path / glob (kind=files).")
    table: str = opt("feedback", "Table name inside the SQLite store.")
    project: str = opt("", "BigQuery: Google Cloud project that runs the query.")
    bq_table: str = opt("soc_data.feedback", "BigQuery: `dataset.table` holding the feedback.")
    query: str = opt("", "BigQuery: a custom SELECT used instead of bq_table (parameters @since are bound).")
    location: str = opt("", "BigQuery: dataset location, e.g. US or EU (empty: BigQuery's default).")
    credentials_file: str = opt("", "BigQuery: service-account JSON file; empty uses Application Default Credentials.")
    window_days: int = opt(90, "Only feedback from the last N days is read (0: no window).", min=0)
    max_negatives: int = opt(200_000, "Training read, every source: above this many labelled negatives in the window, a deterministic hash sample of about this many is read (all positives are kept; metrics re-weighted); 0 disables sampling.", min=0)
    verdicts_path: str = opt("", "Files: the CSV file review verdicts are appended to, read with the other files "
                             "(empty: verdicts.csv beside the first matching file).")
    bq_verdicts_table: str = opt("", "BigQuery: `dataset.table` review verdicts are appended to (empty: bq_table).")

    def __post_init__(self) -> None:
        check_fields(self, "source.")


@dataclass
class SchemaConfig:
    """What the feedback columns mean."""

    label: str = opt("is_true_positive", "Column holding the analyst verdict.")
    positive_value: Any = opt(True, "Value of the label column that means 'true positive'. "
                              "Booleans, 1/0, 'true'/'false', 'tp'/'fp' are understood when left at true.")
    id_column: str = opt("alert_id", "Alert id; duplicates keep the latest verdict. Empty: no id column.")
    time_column: str = opt("timestamp", "When the alert fired; drives the newest-first holdout. Empty: stratified split.")
    max_future_minutes: float = opt(60.0, "Quarantine rows whose time is more than this many minutes after the "
                                    "moment the feedback is read (a wrong clock or time zone).", min=0.0)
    post_triage: list = opt(["analyst_comments", "processed", "confidence", "analyst", "triaged_at",
                             "verdict", "resolution"],
                            "Columns known only after triage. They never become features.")
    features: list = opt([], "Explicit feature columns. Empty: every other column, typed automatically.")
    categorical: list = opt([], "Columns that are categories whatever their type (detector, rule or tenant ids "
                            "stored as integers). Integer columns named like ids (ending in 'id') are categories "
                            "already.")
    confidence_column: str = opt("confidence", "Column with the analyst's confidence in the verdict (optional).")
    min_confidence: float = opt(0.0, "Drop verdicts whose confidence is below this (0: keep all).", min=0.0, max=1.0)

    def __post_init__(self) -> None:
        check_fields(self, "schema.")


@dataclass
class TrainingConfig:
    """How a model is trained and evaluated."""

    preset: str = opt("auto", "'auto' selects family and imbalance strategy by validation; 'custom' searches only "
                      "the training.model / training.imbalance allowed; "
                      + "; ".join(f"'{r.name}' is {r.summary}" for r in families.RECIPES.values())
                      + " (`cla config families` tables the families, strategies and recipes).",
                      choices=families.preset_choices)
    model: str = opt("auto", "Model family when preset=custom (auto tries them all).", choices=families.model_choices)
    imbalance: str = opt("auto", "Imbalance strategy.", choices=families.imbalance_choices)
    objective: str = opt("recall", "Threshold objective: maximise F1, or keep recall / precision at or above target.",
                         choices=owned_by("trainer.learning.thresholds", "OBJECTIVES"))
    target: float = opt(0.95, "Target for objective=recall or precision.", min=0.0, max=1.0)
    calibration: str = opt("none", "Probability calibration, fitted on the validation slice (large data) or on the out-of-fold scores (small data).",
                           choices=lambda: ("none", *owned_by("trainer.learning.calibration", "METHODS")()))
    holdout_fraction: float = opt(0.2, "Share of the newest feedback held out as the test slice (its largest size when "
                                  "time orders the feedback, see holdout_positives).", min=0.05, max=0.5)
    holdout_positives: int = opt(100, "When time orders the feedback, the test slice is the newest rows up to the one that "
                                 "makes this many true positives (never more than holdout_fraction): the saved model "
                                 "learns every older verdict. 0: always holdout_fraction.", min=0)
    validation_fraction: float = opt(0.1, "Share of the training window (its newest part) that chooses the candidate and "
                                     "the threshold on large data; the saved model is fitted on the older rows (on the whole "
                                     "window when time orders it and it holds at most 20,000 rows).",
                                     min=0.05, max=0.5)
    min_validation_positives: int = opt(100, "Cross-validate (candidates and threshold on out-of-fold scores, final "
                                        "model on the whole window) when a validation slice would hold fewer "
                                        "examples of the rarer class than this; one newest slice otherwise.", min=0)
    time_budget_seconds: float = opt(60.0, "Time budget for preset=auto candidate selection.", min=1.0)
    random_state: int = opt(42, "Seed for every random choice in training.")
    max_rows: int = opt(0, "Cap on training rows after quality checks (newest kept; 0: no cap).", min=0)
    severe_imbalance_share: float = opt(0.05, "Warn 'severe imbalance' when the minority share is below this.", min=0.0, max=0.5)
    min_test_positives: int = opt(20, "Warn when the test slice has fewer positives than this.", min=0)
    leakage_auc: float = opt(0.995, "Warn 'suspected leakage' when one feature alone reaches this ROC-AUC.", min=0.5, max=1.0)
    permutation_repeats: int = opt(3, "Repeats for permutation importance (0 disables it).", min=0)
    top_features: int = opt(15, "How many top features to store.", min=0)
    curve_points: int = opt(200, "At most this many points are stored per curve.", min=10)

    def __post_init__(self) -> None:
        check_fields(self, "training.")


@dataclass
class PromotionConfig:
    """Gates a challenger must pass to become champion (modelled on MLflow's MetricThreshold)."""

    metric: str = opt("pr_auc", "Metric compared between champion and challenger on the same holdout.")
    min_absolute_change: float = opt(-0.01, "Challenger metric minus champion metric must be at least this.")
    min_relative_change: float = opt(-1.0, "(challenger - champion) / champion must be at least this (-1 disables).")
    floor: float = opt(0.0, "Challenger metric must be at least this absolute value.", min=0.0, max=1.0)
    require_recall_target: bool = opt(True, "Challenger recall at its threshold must reach training.target when objective=recall.")
    min_test_positives: int = opt(5, "Challenger's test slice must hold at least this many positives.", min=0)
    auto_promote: bool = opt(True, "Promote automatically after training when the gates pass.")

    def __post_init__(self) -> None:
        check_fields(self, "promotion.")


@dataclass
class RetentionConfig:
    """How many model pairs are kept."""

    # A six-minute cadence is 240 pairs a day: these defaults keep at most max(200, 240) pairs
    # (plus champion, previous champion and pins), under 1.5 GB even for random forests (docs/REGISTRY.md).
    keep_last: int = opt(200, "Keep at least the newest N pairs (0: no count rule).", min=0)
    keep_days: int = opt(1, "Keep every pair younger than D days (0: no age rule).", min=0)
    auto_prune: bool = opt(True, "Prune after each training.")

    def __post_init__(self) -> None:
        check_fields(self, "retention.")


@dataclass
class ServiceConfig:
    """When the trainer service trains."""

    min_new_rows: int = opt(100, "Train when at least this many new labelled rows arrived since the last training.", min=1)
    max_age_hours: float = opt(6.0, "Train when the last training is older than this (0 disables).", min=0.0)
    min_interval_minutes: float = opt(0.0, "Never train more often than this (force requests excepted).", min=0.0)
    override_rate: float = opt(0.0, "Train when the share of new verdicts that contradict the champion exceeds this (0 disables).",
                               min=0.0, max=1.0)
    check_interval_seconds: float = opt(60.0, "How often triggers are checked.", min=0.5)
    heartbeat_seconds: float = opt(2.0, "How often the status heartbeat is written.", min=0.2)
    stop_timeout_seconds: float = opt(30.0, "How long stop waits for a training to finish before escalating.", min=1.0)
    backoff_max_seconds: float = opt(900.0, "Longest back-off after repeated failures.", min=1.0)
    log_max_bytes: int = opt(5_000_000, "Trainer log rotation size.", min=10_000)
    log_backups: int = opt(3, "Rotated trainer logs kept.", min=0)
    metrics_address: str = opt("", "host:port where the service serves Prometheus metrics at /metrics, e.g. "
                               "127.0.0.1:8505. Empty: no metrics. The page has no login: keep it on localhost "
                               "or behind a firewall.")

    def __post_init__(self) -> None:
        check_fields(self, "service.")


@dataclass
class DashboardConfig:
    """The Streamlit dashboard."""

    address: str = opt("127.0.0.1", "Interface the dashboard binds to. Anything but localhost requires a login for control actions.")
    port: int = opt(8503, "Dashboard port.", min=1, max=65535)
    refresh_seconds: float = opt(2.0, "How often live parts of the pages refresh.", min=0.5)
    require_login: bool = opt(False, "Require a login for control actions even on localhost.")
    watcher: str = opt("auto", "How the dashboard sees changes in models_dir: auto (inotify, polling when inotify "
                       "cannot start), inotify, or poll (a look every second; for a network mount written by "
                       "another host, where inotify starts and never fires).", choices=lambda: WATCHER_CHOICES)

    def __post_init__(self) -> None:
        check_fields(self, "dashboard.")


@dataclass
class Config:
    """Everything CLA can be told. Build it with :func:`load_config`."""

    models_dir: str = opt("models", "Folder holding model pairs, the champion pointer, events and the trainer runtime.")
    model_key_file: str = opt("", "Secret key that signs every model file (HMAC-SHA-256), created with mode 0600 by the "
                              "first training. Keep it outside models_dir; every host that trains, scores or shows "
                              "the models needs to read it. Empty: $XDG_CONFIG_HOME/cla/model.key, i.e. "
                              "~/.config/cla/model.key. CLA_MODEL_KEY overrides.")
    source: SourceConfig = field(default_factory=SourceConfig)
    schema: SchemaConfig = field(default_factory=SchemaConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    promotion: PromotionConfig = field(default_factory=PromotionConfig)
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    service: ServiceConfig = field(default_factory=ServiceConfig)
    drift: DriftConfig = field(default_factory=DriftConfig)
    dashboard: DashboardConfig = field(default_factory=DashboardConfig)
    review: ReviewConfig = field(default_factory=ReviewConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    config_file: str = opt("", "The file this configuration was read from (empty: built-in defaults).")

    def __post_init__(self) -> None:
        check_fields(self, "")

    @property
    def layout(self) -> ModelsLayout:
        """The models folder, resolved: every path inside it comes from here."""
        return ModelsLayout.of(self.models_dir)

    @property
    def model_key_path(self) -> Path:
        """The model key file (docs/REGISTRY.md, "Trust"); ``~`` is expanded here, as for no other path."""
        if self.model_key_file:
            return Path(self.model_key_file).expanduser().resolve()
        return default_model_key_path()

    @property
    def source_path(self) -> Path:
        return Path(self.source.path).resolve()

    def to_dict(self) -> dict[str, Any]:
        """Every option, as metrics files and ``cla config show`` record it: no webhook secret or URL path."""
        out = dataclasses.asdict(self)
        out["notify"]["secret"] = "(set)" if self.notify.secret else ""
        out["notify"]["webhook_url"] = [redact_url(u) for u in self.notify.webhook_url]
        return out


def default_model_key_path() -> Path:
    """Where the model key lives when nothing says otherwise: the user's config folder, outside any models folder."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base).resolve() / "cla" / "model.key"


def _apply(obj: Any, values: dict[str, Any], prefix: str) -> None:
    fields = {f.name: f for f in dataclasses.fields(obj)}
    for name, value in values.items():
        key = f"{prefix}{name}"
        if name not in fields:
            allowed = ", ".join(sorted(n for n in fields if n != "config_file"))
            raise ConfigError(f"{key}: unknown option; allowed here: {allowed}")
        current = getattr(obj, name)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"{key}: expected a table [{key}], got {value!r}")
            _apply(current, value, f"{key}.")
        elif fields[name].type in ("Any", Any):
            # e.g. schema.positive_value: whatever single value the label column holds
            if not isinstance(value, (bool, int, float, str)):
                raise ConfigError(f"{key}: expected one value such as true, 1 or \"tp\", got {value!r}")
            setattr(obj, name, value)
        else:
            setattr(obj, name, coerce(key, value, current, dict(fields[name].metadata)))


def set_option(config: Config, dotted: str, value: Any) -> None:
    """Set one option by its dotted key (``training.objective``), validating it."""
    parts = dotted.split(".")
    nested: dict[str, Any] = {parts[-1]: value}
    for part in reversed(parts[:-1]):
        nested = {part: nested}
    _apply(config, nested, "")


def resolve_config_path(explicit: str | os.PathLike | None = None) -> Path | None:
    """The config file to read: explicit argument, then CLA_CONFIG, then ./cla.toml."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("CLA_CONFIG")
    if env:
        return Path(env)
    local = Path(DEFAULT_CONFIG_NAME)
    return local if local.is_file() else None


def load_config(path: str | os.PathLike | None = None, *, models_dir: str | os.PathLike | None = None,
                overrides: dict[str, Any] | None = None) -> Config:
    """Build the configuration.

    Order, later wins: built-in defaults, the TOML file, ``CLA_MODELS_DIR``,
    ``models_dir``, ``CLA_MODEL_KEY``, then ``overrides`` (dotted keys). Raises
    :class:`ConfigError` for an unreadable file, invalid TOML or a bad value.
    """
    config = Config()
    file = resolve_config_path(path)
    if file is not None:
        try:
            with open(file, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"config file {file} does not exist; pass --config with an existing file "
                              f"or unset CLA_CONFIG") from None
        except PermissionError:
            raise ConfigError(f"config file {file} cannot be read (permission denied)") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {file} is not valid TOML: {exc}") from None
        _apply(config, data, "")
        config.config_file = str(Path(file).resolve())
    env_models = os.environ.get("CLA_MODELS_DIR")
    if env_models:
        config.models_dir = env_models
    if models_dir:
        config.models_dir = str(models_dir)
    env_key = os.environ.get(MODEL_KEY_ENV)
    if env_key:
        config.model_key_file = env_key
    config.notify.secret = os.environ.get(NOTIFY_SECRET_ENV) or config.notify.secret
    for key, value in (overrides or {}).items():
        set_option(config, key, value)
    check_addresses(config)
    if config.drift.psi_major < config.drift.psi_moderate:
        raise ConfigError(f"drift.psi_major ({config.drift.psi_major:g}) is below drift.psi_moderate "
                          f"({config.drift.psi_moderate:g}): a major drift must be at least a moderate one")
    return config


def load_models_dir_only(path: str | os.PathLike | None = None, *,
                         models_dir: str | os.PathLike | None = None) -> Config:
    """Built-in defaults with only the models folder resolved, for when :func:`load_config` refused the file.

    Commands that need nothing but the folder (``cla trainer stop``,
    ``cla trainer status``) still work with a broken config: the folder comes
    from ``models_dir``, ``CLA_MODELS_DIR``, or the file's top-level
    ``models_dir`` when the part before its first table still parses; else
    the default.
    """
    config = Config()
    file = resolve_config_path(path)
    named = None
    try:
        text = Path(file).read_text(encoding="utf-8") if file is not None else ""
    except (OSError, ValueError):
        text = ""
    # Top-level keys come before the first [table]: they still parse when a later table is broken.
    for candidate in (text, text.split("\n[", 1)[0]):
        try:
            named = tomllib.loads(candidate).get("models_dir")
            break
        except tomllib.TOMLDecodeError:
            continue
    if isinstance(named, str) and named:
        config.models_dir = named
    config.models_dir = str(models_dir or os.environ.get("CLA_MODELS_DIR") or config.models_dir)
    return config


def describe_options() -> list[tuple[str, Any, str]]:
    """(dotted key, default, help) for every option, for docs and ``cla config``; help ends with the allowed values."""
    rows: list[tuple[str, Any, str]] = []

    def walk(obj: Any, prefix: str) -> None:
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if dataclasses.is_dataclass(value):
                walk(value, f"{prefix}{f.name}.")
            elif f.name != "config_file":
                allowed = allowed_values(f.metadata)
                help_text = f.metadata.get("help", "") + (f" One of: {', '.join(allowed)}." if allowed else "")
                rows.append((f"{prefix}{f.name}", value, help_text))

    walk(Config(), "")
    return rows
