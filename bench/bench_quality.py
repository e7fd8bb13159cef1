"""Model quality on real imbalanced datasets: the default trainer against the old recipe and strong baselines.

On the 24 development datasets of ``bench.datasets`` (real KEEL/UCI data, a
few hundred to a few thousand rows, 6 to 300 positives, no time column), every
contender is fitted and scored on the same folds,
``RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=42)``:

- ``cla``: the product through its public API on the raw training frame,
  ``trainer.fit(train, label="label", objective="f1")``, then
  ``predict_proba`` (PR-AUC) and ``predict`` (F1, recall, precision) on the
  test rows;
- the baselines, each at threshold 0.5 on the same one-hot / imputed features:
  ``old_recipe`` (random forest, 100 trees, depth 10, balanced weights: what CLA
  replaces), ``rf_smote``, ``hgb`` (histogram gradient boosting),
  ``logreg`` (balanced logistic regression) and ``balanced_rf``
  (imbalanced-learn's ``BalancedRandomForestClassifier``).

Reported per dataset and as means over datasets: PR-AUC (average precision),
F1, recall, precision and fit seconds; plus the per-dataset best of the five
baselines (an oracle no single baseline reaches) and the acceptance checks of
issue 9.

Run: ``python -m bench quality`` (everything), or
``python -m bench.bench_quality [--datasets a,b] [--contenders cla,old_recipe] [--repeats N]``.
Results: ``bench/results/quality.json`` and ``quality.md``; summarised in docs/QUALITY.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
import pandas as pd
from imblearn.ensemble import BalancedRandomForestClassifier
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from bench.bench_recipes import machine
from bench.datasets import DEVELOPMENT, LABEL, load

RESULTS = Path(__file__).parent / "results"
BASELINES = ("old_recipe", "rf_smote", "hgb", "logreg", "balanced_rf")
CONTENDERS = ("cla",) + BASELINES
METRICS = ("pr_auc", "f1", "recall", "precision", "fit_s")
SEED = 42


def _encoder(scale: bool) -> ColumnTransformer:
    numeric = [("impute", SimpleImputer(strategy="median"))] + ([("scale", StandardScaler())] if scale else [])
    text = [("impute", SimpleImputer(strategy="most_frequent")),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False))]
    return ColumnTransformer([
        ("numeric", Pipeline(numeric), make_column_selector(dtype_include="number")),
        ("text", Pipeline(text), make_column_selector(dtype_exclude="number")),
    ])


def baseline(name: str, positives: int):
    """An unfitted baseline pipeline (one-hot + impute, then the classifier), scored at threshold 0.5."""
    if name == "old_recipe":
        return make_pipeline(_encoder(False), RandomForestClassifier(
            n_estimators=100, max_depth=10, class_weight="balanced", random_state=SEED, n_jobs=1))
    if name == "rf_smote":
        return make_pipeline(_encoder(False), SMOTE(k_neighbors=min(5, positives - 1), random_state=SEED),
                             RandomForestClassifier(n_estimators=100, random_state=SEED, n_jobs=1))
    if name == "hgb":
        return make_pipeline(_encoder(False), HistGradientBoostingClassifier(random_state=SEED))
    if name == "logreg":
        return make_pipeline(_encoder(True), LogisticRegression(class_weight="balanced", max_iter=2000))
    if name == "balanced_rf":
        return make_pipeline(_encoder(False), BalancedRandomForestClassifier(
            n_estimators=100, sampling_strategy="all", replacement=True, bootstrap=False,
            random_state=SEED, n_jobs=1))
    raise KeyError(name)


def _score(y_test: np.ndarray, scores: np.ndarray, flagged: np.ndarray, fit_s: float) -> dict:
    return {"pr_auc": float(average_precision_score(y_test, scores)),
            "f1": float(f1_score(y_test, flagged, zero_division=0)),
            "recall": float(recall_score(y_test, flagged, zero_division=0)),
            "precision": float(precision_score(y_test, flagged, zero_division=0)),
            "fit_s": fit_s}


def run_fold(contender: str, train: pd.DataFrame, test: pd.DataFrame) -> dict:
    """Fit one contender on ``train`` and score it on ``test``; returns the metrics (and CLA's choices)."""
    X_test, y_test = test.drop(columns=[LABEL]), test[LABEL].to_numpy()
    started = time.perf_counter()
    if contender == "cla":
        import trainer

        model = trainer.fit(train, label=LABEL, objective="f1")
        fit_s = time.perf_counter() - started
        scores = model.predict_proba(X_test)[:, 1]
        out = _score(y_test, scores, model.predict(X_test), fit_s)
        validation = model.metadata.get("validation") or {}
        out.update({"family": model.metadata.get("family"), "imbalance": model.metadata.get("imbalance"),
                    "threshold": model.threshold, "path": validation.get("path"),
                    "threshold_positives": validation.get("positives")})
        return out
    X_train, y_train = train.drop(columns=[LABEL]), train[LABEL].to_numpy()
    pipeline = baseline(contender, int(y_train.sum()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipeline.fit(X_train, y_train)
    fit_s = time.perf_counter() - started
    scores = pipeline.predict_proba(X_test)[:, 1]
    return _score(y_test, scores, (scores >= 0.5).astype(int), fit_s)


def _task(name: str, fold: int, train_idx, test_idx, contenders) -> list[dict]:
    """One fold of one dataset for every contender, single-threaded (the two workers share the cores)."""
    frame = load(name)
    train, test = frame.iloc[train_idx].reset_index(drop=True), frame.iloc[test_idx].reset_index(drop=True)
    with threadpool_limits(limits=1):
        return [{"dataset": name, "fold": fold, "contender": c, **run_fold(c, train, test)} for c in contenders]


def run(datasets=DEVELOPMENT, contenders=CONTENDERS, repeats: int = 2, jobs: int = 2, log=print) -> dict:
    """Every contender on every fold of every dataset; returns per-fold rows and the summary.

    Folds run in ``jobs`` worker processes, one thread each; every contender
    of a fold runs in the same worker, one after the other, on the same rows.
    """
    tasks = []
    for name in datasets:
        frame = load(name)
        splitter = RepeatedStratifiedKFold(n_splits=5, n_repeats=repeats, random_state=SEED)
        for fold, (train_idx, test_idx) in enumerate(splitter.split(frame, frame[LABEL])):
            tasks.append((name, fold, train_idx, test_idx))
    results = Parallel(n_jobs=jobs)(delayed(_task)(*task, contenders) for task in tasks)
    folds = [row for rows in results for row in rows]
    for name in datasets:
        per = summarise_dataset(folds, name, contenders)
        log(f"{name:38s} " + "  ".join(f"{c}={per[c]['pr_auc']:.3f}/{per[c]['f1']:.3f}" for c in contenders))
    return {"datasets": list(datasets), "contenders": list(contenders), "repeats": repeats, "jobs": jobs,
            "folds": folds, "summary": summarise(folds, datasets, contenders)}


def summarise_dataset(folds: list[dict], name: str, contenders) -> dict:
    out = {}
    for contender in contenders:
        rows = [r for r in folds if r["dataset"] == name and r["contender"] == contender]
        out[contender] = {m: float(np.mean([r[m] for r in rows])) for m in METRICS}
    return out


def summarise(folds: list[dict], datasets, contenders) -> dict:
    """Per-dataset means, means over datasets, the baseline oracle and the issue-9 checks."""
    per_dataset = {name: summarise_dataset(folds, name, contenders) for name in datasets}
    means = {c: {m: float(np.mean([per_dataset[d][c][m] for d in datasets])) for m in METRICS} for c in contenders}
    summary = {"per_dataset": per_dataset, "means": means}
    present = [b for b in BASELINES if b in contenders]
    if present:
        oracle = {m: float(np.mean([max(per_dataset[d][b][m] for b in present) for d in datasets]))
                  for m in ("pr_auc", "f1")}
        summary["oracle"] = oracle
    if "cla" in contenders and present:
        cla = means["cla"]
        checks = {
            "pr_auc_above_every_baseline": all(cla["pr_auc"] > means[b]["pr_auc"] for b in present),
            "f1_above_every_baseline": all(cla["f1"] > means[b]["f1"] for b in present),
            "pr_auc_within_0.01_of_oracle": cla["pr_auc"] >= summary["oracle"]["pr_auc"] - 0.01,
            "f1_within_0.01_of_oracle": cla["f1"] >= summary["oracle"]["f1"] - 0.01,
        }
        if "old_recipe" in contenders:
            gaps = {d: per_dataset[d]["cla"]["f1"] - per_dataset[d]["old_recipe"]["f1"] for d in datasets}
            checks["no_dataset_f1_more_than_0.05_below_old_recipe"] = all(g >= -0.05 for g in gaps.values())
            summary["f1_gap_to_old_recipe"] = gaps
        summary["checks"] = checks
        paths = [r.get("path") for r in folds if r["contender"] == "cla"]
        summary["cla_validation_paths"] = {p: paths.count(p) for p in sorted(set(map(str, paths)))}
    return summary


def markdown(report: dict) -> str:
    summary, contenders = report["summary"], report["contenders"]
    lines = [f"Command: `{report['command']}`; machine: {report['machine']}; took {report['seconds']:.0f} s.", "",
             "| dataset | " + " | ".join(f"{c} PR-AUC / F1" for c in contenders) + " |",
             "|---|" + "---|" * len(contenders)]
    for name, per in summary["per_dataset"].items():
        lines.append(f"| {name} | " + " | ".join(f"{per[c]['pr_auc']:.3f} / {per[c]['f1']:.3f}" for c in contenders)
                     + " |")
    lines += ["", "| contender | " + " | ".join(METRICS) + " |", "|---|" + "---|" * len(METRICS)]
    for contender, values in summary["means"].items():
        lines.append(f"| {contender} | " + " | ".join(f"{values[m]:.3f}" for m in METRICS) + " |")
    if "oracle" in summary:
        lines.append(f"| best baseline per dataset (oracle) | {summary['oracle']['pr_auc']:.3f} | "
                     f"{summary['oracle']['f1']:.3f} | | | |")
    if "checks" in summary:
        lines += ["", "Checks: " + ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in summary["checks"].items())]
        lines += ["", f"CLA validation paths (folds): {summary['cla_validation_paths']}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_quality", description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DEVELOPMENT))
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2: this machine's cores)")
    parser.add_argument("--out", default="quality", help="results file stem under bench/results/")
    args = parser.parse_args(argv if argv is not None else [])
    started = time.perf_counter()
    report = run(args.datasets.split(","), args.contenders.split(","), args.repeats, args.jobs)
    report["seconds"] = time.perf_counter() - started
    report["machine"] = machine()
    report["command"] = "python -m bench.bench_quality " + " ".join(argv or [])
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(report, indent=2))
    text = markdown(report)
    (RESULTS / f"{args.out}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
