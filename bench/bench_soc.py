"""Forward in time on real SOC verdicts: train on every day before, score the day, against two baselines.

The data is the GUIDE development file (``../shared/data/guide/guide_sample_dev.csv``:
Microsoft's Defender XDR evidence rows graded by SOC analysts, June 2024; read
from there, never committed). Its label is ``incidentgrade == "TruePositive"``.
The frame every contender sees: 13 categorical columns (ids cast to text),
the number of MITRE techniques and the timestamp (:data:`CATEGORICAL`).

The replay: the days holding at least :data:`MIN_DAY_ROWS` alerts are the
stream; the first :data:`WARMUP_DAYS` of them only train. For every later day,
each contender is fitted on every row older than that day (late-graded old
alerts included) and scores the day before seeing its labels. Contenders, on
the same days and rows:

- ``cla``: the product through its public API,
  ``trainer.fit(train, label="label", objective="recall", target=0.95,
  time_column="timestamp", id_column="")``, judged at its own threshold;
- ``old_recipe``: one-hot codes and a random forest (100 trees, depth 10,
  balanced weights), threshold 0.5 (what CLA replaces; ``bench_quality.baseline``);
- ``te_hgb``: scikit-learn's ``TargetEncoder`` on the categorical columns and
  ``HistGradientBoostingClassifier()`` with its defaults, threshold 0.5: the
  three-line baseline of issue 23;
- ``cla_file``: the product on the whole file as a user points it at it
  (every column; five schema lines: label, positive value, time column, id
  column and the two post-triage columns), to show which columns it excludes.

Per day: PR-AUC (average precision), recall and share of alerts skipped at the
contender's threshold, alerts skippable at recall 0.95 (the largest share of
the day's alerts below a cut that still keeps 95% of its true positives), fit
seconds. The same replay runs on a 14-day demo history of the embedded store
(``demo``), so a gain on real data is not a loss on ours.

Run: ``python -m bench soc`` (both), or ``python -m bench.bench_soc [guide|demo]
[--file PATH] [--contenders cla,te_hgb]``. A later GUIDE file with the same
columns replays the same way (``--file``): nothing is tuned per day.
Results: ``bench/results/soc.json`` and ``soc.md``; summarised in docs/QUALITY.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import TargetEncoder

from bench import record
from bench.bench_quality import baseline
from bench.bench_recipes import machine

RESULTS = Path(__file__).parent / "results"
GUIDE = Path(__file__).resolve().parents[2] / "shared" / "data" / "guide" / "guide_sample_dev.csv"
CATEGORICAL = ("orgid", "detectorid", "alerttitle", "category", "mitretechniques", "entitytype", "evidencerole",
               "suspicionlevel", "lastverdict", "osfamily", "countrycode", "threatfamily", "applicationname")
POST_TRIAGE = ("actiongrouped", "actiongranular")
ROW_IDENTIFIERS = ("id", "alertid", "incidentid")
LABEL = "label"
TIME = "timestamp"
TARGET_RECALL = 0.95
WARMUP_DAYS = 3
MIN_DAY_ROWS = 100
SEED = 42
CONTENDERS = ("cla", "old_recipe", "te_hgb", "cla_file")
METRICS = ("pr_auc", "recall", "skipped", "skippable", "fit_s")


@dataclass
class Stream:
    """One labelled history to replay: the frame every contender sees, its feature columns, and extras."""

    name: str
    frame: pd.DataFrame
    categorical: list[str]
    numeric: list[str]
    cla_options: dict = field(default_factory=dict)
    raw: pd.DataFrame | None = None
    """The whole source table as a user would hand it to CLA (``cla_file``), with its schema options."""
    raw_options: dict = field(default_factory=dict)


def guide(path: Path = GUIDE) -> Stream:
    """The GUIDE file as the replay's frame (ids as text) and, for ``cla_file``, as pandas reads it."""
    if not path.is_file():
        raise SystemExit(f"bench soc: the GUIDE file {path} is not there; it lives in ../shared/data/guide/ "
                         "beside the project (or pass --file)")
    text = pd.read_csv(path, dtype=str)
    labelled = text["incidentgrade"].notna()
    frame = text.loc[labelled, list(CATEGORICAL)].copy()
    techniques = text.loc[labelled, "mitretechniques"].fillna("")
    frame["n_techniques"] = techniques.map(lambda s: sum(1 for t in s.split(";") if t)).astype(float)
    frame[TIME] = pd.to_datetime(text.loc[labelled, TIME], utc=True)
    frame[LABEL] = (text.loc[labelled, "incidentgrade"] == "TruePositive").astype(int)
    raw = pd.read_csv(path)
    raw_options = {"label": "incidentgrade", "positive_value": "TruePositive", "time_column": TIME,
                   "id_column": "id", "post_triage": list(POST_TRIAGE)}
    return Stream("guide", frame.reset_index(drop=True), list(CATEGORICAL), ["n_techniques"],
                  {"id_column": ""}, raw.loc[labelled.to_numpy()].reset_index(drop=True), raw_options)


def demo(rows: int = 9_800, days: int = 14) -> Stream:
    """A demo history of the embedded store (seed 7), cleaned as the service cleans it."""
    from trainer.config import Config
    from trainer.feedback.demo import generate_history
    from trainer.feedback.quality import prepare
    from trainer.learning.features import post_triage_columns

    schema = Config().schema
    end = datetime(2026, 11, 30, tzinfo=timezone.utc)
    frame = prepare(generate_history(rows=rows, days=days, seed=7, end=end), schema,
                    quarantine_dir=None, stamp="bench").frame
    drop = post_triage_columns(schema) | {schema.id_column, schema.time_column, schema.label}
    features = [c for c in frame.columns if c not in drop]
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])]
    categorical = [c for c in features if c not in numeric]
    out = frame[features].copy()
    out[numeric] = out[numeric].astype(float)
    out[TIME] = frame[schema.time_column]
    out[LABEL] = frame[schema.label].astype(int)
    return Stream("demo", out.sort_values(TIME, kind="stable").reset_index(drop=True), categorical, numeric,
                  {"id_column": ""})


def replay_days(times: pd.Series, warmup: int = WARMUP_DAYS, min_rows: int = MIN_DAY_ROWS) -> list[pd.Timestamp]:
    """The UTC days scored: days with at least ``min_rows`` alerts, after the first ``warmup`` of them."""
    days = times.dt.floor("D").value_counts().sort_index()
    busy = [day for day, count in days.items() if count >= min_rows]
    return busy[warmup:]


def te_hgb(categorical: list[str], numeric: list[str]):
    """The three-line baseline: target-encoded categories (missing as its own value) and boosting defaults."""
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    encode = ColumnTransformer([("target", TargetEncoder(cv=folds), categorical),
                                ("numeric", "passthrough", numeric)])
    return make_pipeline(encode, HistGradientBoostingClassifier(random_state=SEED))


def _baseline_frame(frame: pd.DataFrame, stream: Stream) -> pd.DataFrame:
    out = frame[stream.categorical + stream.numeric].copy()
    out[stream.categorical] = out[stream.categorical].fillna("missing").astype(str)
    return out


def fit_and_score(contender: str, stream: Stream, train_rows: np.ndarray, day_rows: np.ndarray) -> dict:
    """Fit ``contender`` on the training rows and score the day; returns scores, threshold and what it chose."""
    frame = stream.frame
    train, day = frame.loc[train_rows], frame.loc[day_rows]
    started = time.perf_counter()
    extra: dict = {}
    if contender in ("cla", "cla_file"):
        import trainer

        if contender == "cla":
            model = trainer.fit(train, label=LABEL, objective="recall", target=TARGET_RECALL, time_column=TIME,
                                random_state=SEED, **stream.cla_options)
            scored = day
        else:
            model = trainer.fit(stream.raw.loc[train_rows], objective="recall", target=TARGET_RECALL,
                                random_state=SEED, **stream.raw_options)
            scored = stream.raw.loc[day_rows]
            features = model.feature_spec.input_columns
            extra["features"] = len(features)
            extra["row_identifiers_used"] = [c for c in ROW_IDENTIFIERS if c in features]
        fit_s = time.perf_counter() - started
        scores = model.predict_proba(scored)[:, 1]
        threshold = float(model.threshold)
        validation = model.metadata.get("validation") or {}
        extra.update({"family": model.metadata.get("family"), "imbalance": model.metadata.get("imbalance"),
                      "path": validation.get("path")})
    else:
        pipeline = baseline("old_recipe", int(train[LABEL].sum())) if contender == "old_recipe" \
            else te_hgb(stream.categorical, stream.numeric)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipeline.fit(_baseline_frame(train, stream), train[LABEL].to_numpy())
        fit_s = time.perf_counter() - started
        scores = pipeline.predict_proba(_baseline_frame(day, stream))[:, 1]
        threshold = 0.5
    return {"scores": scores, "threshold": threshold, "fit_s": fit_s, **extra}


def day_metrics(y: np.ndarray, scores: np.ndarray, threshold: float) -> dict:
    """PR-AUC, recall and share skipped at ``threshold``, and alerts skippable at the target recall."""
    from trainer.learning.evaluation import workload_saved_at_recall

    flagged = scores >= threshold
    positives = int(y.sum())
    return {"pr_auc": float(average_precision_score(y, scores)) if 0 < positives < len(y) else None,
            "recall": float(flagged[y == 1].mean()) if positives else None,
            "skipped": float(1 - flagged.mean()),
            "skippable": workload_saved_at_recall(y, scores, TARGET_RECALL),
            "missed": int(((~flagged) & (y == 1)).sum())}


def replay(stream: Stream, contenders: tuple[str, ...]) -> dict:
    """Every scored day of ``stream`` for every contender; returns per-day rows, means and the checks."""
    frame = stream.frame
    contenders = tuple(c for c in contenders if c != "cla_file" or stream.raw is not None)
    days = replay_days(frame[TIME])
    per_day = []
    for day in days:
        train_rows = frame.index[frame[TIME] < day].to_numpy()
        day_rows = frame.index[(frame[TIME] >= day) & (frame[TIME] < day + pd.Timedelta(days=1))].to_numpy()
        y = frame.loc[day_rows, LABEL].to_numpy()
        row = {"day": day.date().isoformat(), "train_rows": int(len(train_rows)), "rows": int(len(day_rows)),
               "positives": int(y.sum())}
        for contender in contenders:
            fitted = fit_and_score(contender, stream, train_rows, day_rows)
            result = day_metrics(y, fitted.pop("scores"), fitted["threshold"])
            row[contender] = {**result, **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in fitted.items()}}
        print(stream.name, row["day"], {c: {k: _round(row[c].get(k)) for k in METRICS} for c in contenders},
              flush=True)
        per_day.append(row)
    means = {c: {k: _mean([d[c][k] for d in per_day]) for k in METRICS} for c in contenders}
    for c in contenders:
        means[c]["fit_s_median"] = _round(statistics.median(d[c]["fit_s"] for d in per_day)) if per_day else None
    return {"stream": stream.name, "rows": int(len(frame)), "days": len(per_day), "per_day": per_day,
            "mean": means, "checks": checks(per_day, contenders) if stream.name == "guide" else {}}


def checks(per_day: list[dict], contenders: tuple[str, ...]) -> dict:
    """Issue 23's acceptance: CLA's mean PR-AUC 0.02 above ``te_hgb``, skippable at least its, recall held."""
    if not per_day or "cla" not in contenders or "te_hgb" not in contenders:
        return {}
    mean = {c: {k: _mean([d[c][k] for d in per_day]) for k in ("pr_auc", "skippable", "recall")}
            for c in ("cla", "te_hgb")}
    recalls = [d["cla"]["recall"] for d in per_day if d["cla"]["recall"] is not None]
    out = {"pr_auc_at_least_baseline_plus_0.02": mean["cla"]["pr_auc"] >= mean["te_hgb"]["pr_auc"] + 0.02,
           "skippable_at_least_baseline": mean["cla"]["skippable"] >= mean["te_hgb"]["skippable"],
           "recall_at_target_on_two_thirds_of_days": sum(r >= TARGET_RECALL for r in recalls) >= 2 * len(recalls) / 3,
           "mean_recall_at_target": mean["cla"]["recall"] >= TARGET_RECALL}
    if "cla_file" in contenders:
        out["no_row_identifier_in_cla_file"] = not any(d["cla_file"]["row_identifiers_used"] for d in per_day)
    return out


def _mean(values):
    present = [v for v in values if v is not None]
    return round(float(np.mean(present)), 4) if present else None


def _round(value):
    return round(value, 3) if isinstance(value, float) else value


def markdown(report: dict) -> str:
    lines = [f"# bench soc, {report['machine']['date']}", "", f"machine: {report['machine']}", ""]
    for result in report["streams"]:
        contenders = list(result["mean"])
        lines += [f"## {result['stream']}: {result['rows']} rows, {result['days']} scored days", "",
                  "| contender | " + " | ".join(METRICS) + " | fit_s median |",
                  "|---" * (len(METRICS) + 2) + "|"]
        for c in contenders:
            m = result["mean"][c]
            lines.append(f"| {c} | " + " | ".join(f"{m[k]:.3f}" if m[k] is not None else "unknown" for k in METRICS)
                         + f" | {m['fit_s_median']} |")
        lines += ["", "| day | rows | positives | " + " | ".join(f"{c} PR-AUC / recall / skipped / skippable"
                                                            for c in contenders) + " |",
                  "|---" * (len(contenders) + 3) + "|"]
        for d in result["per_day"]:
            cells = []
            for c in contenders:
                r = d[c]
                cells.append(" / ".join("unknown" if r[k] is None else f"{r[k]:.3f}"
                                        for k in ("pr_auc", "recall", "skipped", "skippable")))
            lines.append(f"| {d['day']} | {d['rows']} | {d['positives']} | " + " | ".join(cells) + " |")
        if result["checks"]:
            lines += ["", "checks: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in result["checks"].items())]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_soc", description=__doc__.split("\n\n")[0])
    parser.add_argument("streams", nargs="*", help="guide, demo (default: both)")
    parser.add_argument("--file", type=Path, default=GUIDE, help="a GUIDE file with the development file's columns")
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    args = parser.parse_args([] if argv is None else argv)
    bad = [s for s in args.streams if s not in ("guide", "demo")]
    if bad:
        parser.error(f"unknown stream {', '.join(bad)}; choose guide or demo")
    contenders = tuple(c for c in args.contenders.split(",") if c)
    unknown = [c for c in contenders if c not in CONTENDERS]
    if unknown:
        parser.error(f"unknown contender {', '.join(unknown)}; choose from {', '.join(CONTENDERS)}")
    started = time.perf_counter()
    streams = [guide(args.file) if name == "guide" else demo() for name in args.streams or ["guide", "demo"]]
    report = {"machine": machine(), "file": str(args.file), "streams": [replay(s, contenders) for s in streams]}
    report["seconds"] = round(time.perf_counter() - started, 1)
    record(RESULTS / "soc.json", report)
    (RESULTS / "soc.md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))


if __name__ == "__main__":
    main(sys.argv[1:])
