"""The review queue: how fast each policy's verdicts teach the model, and whether the audit interval holds.

On the embedded store: a temporary SQLite store is filled by the demo
generator with ``ROWS`` alerts whose verdicts are all pending (their truth
only in the demo's truth table, :mod:`trainer.feedback.demo_analyst`). The
newest ``HOLDOUT`` alerts are the holdout (their truth scores each model);
from the rest, every run starts from the same ``INITIAL`` verdicts (a random
draw per repeat, identical for every policy). Each policy then spends verdicts
in batches of ``BATCH``, reading pending alerts through the sqlite source,
asking the simulated analyst (the truth table) and retraining after every
batch with the old CLA recipe (``preset=legacy``: random forest, balanced
weights, threshold 0.5, one validation slice; fast and fixed, so the policies differ only in what
they pick). Policies: ``uncertain`` and ``risk`` (trainer.review.policies)
and ``random`` (uniform over the pending alerts). Reported: holdout PR-AUC and
recall against verdicts spent, means over ``REPEATS`` repeats, and how many
verdicts ``uncertain`` needs to reach random's PR-AUC at the full budget.

Audit: the initial model scores the pending pool; every flagged alert gets a
verdict (as in a SOC), and ``AUDIT_SIZE`` alerts below the threshold are drawn
uniformly ``AUDIT_DRAWS`` times; the share of draws whose stated 90% interval
(trainer.review.audit) covers the pool's true recall is the coverage.

Run: ``python -m bench review``. Results: stdout and
``bench/results/review.json`` + ``review.md``.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).parent / "results"
ROWS = 12_000
HOLDOUT = 3_000
INITIAL = 300
BATCH = 100
BUDGETS = (200, 500, 1_000)
REPEATS = 3
POLICIES = ("uncertain", "risk", "random")
AUDIT_SIZE = 150
AUDIT_DRAWS = 400
LEVEL = 0.9
LABEL = "is_true_positive"


def machine() -> dict:
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def build_store(folder: Path):
    """A store of ROWS pending alerts, their truth apart; returns (config, pending frame, truth by id)."""
    from trainer.config import load_config
    from trainer.feedback import demo, demo_analyst
    from trainer.feedback.sources import open_source

    path = folder / "feedback.db"
    history = demo.generate_history(rows=ROWS, days=30, seed=21, keep_truth=True)
    history = history.drop_duplicates("alert_id", keep="last")
    pending = demo_analyst.make_pending(history.drop(columns=[demo.TRUTH_COLUMN]), 1.0, np.random.default_rng(0))
    pending[demo.TRUTH_COLUMN] = history[demo.TRUTH_COLUMN].to_numpy()
    demo_analyst.insert_with_truth(path, pending)
    config = load_config(overrides={"source.path": str(path), "source.window_days": 0})
    frame = open_source(config).load_pending(limit=ROWS).frame.iloc[::-1].reset_index(drop=True)  # oldest first
    truth = demo_analyst.truth_for(path, list(frame["alert_id"]))
    return config, frame, truth


def train(frame: pd.DataFrame, seed: int):
    from trainer.learning.api import fit

    return fit(frame, preset="legacy", time_column="", random_state=seed, min_validation_positives=0)


def holdout_scores(model, holdout: pd.DataFrame, labels: np.ndarray) -> dict:
    from sklearn.metrics import average_precision_score

    scores = model.predict_proba(holdout)[:, 1]
    return {"pr_auc": float(average_precision_score(labels, scores)),
            "recall": float(((scores >= model.threshold) & (labels == 1)).sum() / max(1, labels.sum()))}


def pick(policy: str, model, pool: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    from trainer.review import policies

    if policy == "random":
        return rng.permutation(len(pool))[:BATCH]
    scores = model.predict_proba(pool)[:, 1]
    return policies.order(policy, scores, model.threshold, pool["alert_id"], "bench")[:BATCH]


def run_policy(policy: str, start: pd.DataFrame, pool: pd.DataFrame, holdout: pd.DataFrame, labels: np.ndarray,
               truth: dict, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    labelled, pool = start.copy(), pool.copy()
    model = train(labelled, seed)
    curve = [{"verdicts": 0, **holdout_scores(model, holdout, labels)}]
    spent = 0
    while spent < max(BUDGETS):
        chosen = pool.iloc[pick(policy, model, pool, rng)].copy()
        chosen[LABEL] = chosen["alert_id"].map(truth).astype("int64")   # the simulated analyst answers
        labelled = pd.concat([labelled, chosen], ignore_index=True)
        pool = pool.drop(index=chosen.index)
        spent += len(chosen)
        model = train(labelled, seed)
        curve.append({"verdicts": spent, **holdout_scores(model, holdout, labels)})
    return curve


def audit_coverage(model, pool: pd.DataFrame, truth: dict, rng: np.random.Generator) -> dict:
    from trainer.review.audit import estimate

    scores = model.predict_proba(pool)[:, 1]
    labels = pool["alert_id"].map(truth).to_numpy()
    above = scores >= model.threshold
    true_recall = float(labels[above].sum() / labels.sum())
    below_labels = labels[~above]
    covered, widths = 0, []
    for _ in range(AUDIT_DRAWS):
        sample = rng.choice(below_labels, size=AUDIT_SIZE, replace=False)
        result = estimate(model_id="bench", n_above=int(above.sum()), n_below=int((~above).sum()),
                          flagged=(int(labels[above].sum()), int(above.sum())),
                          audited=(int(sample.sum()), AUDIT_SIZE), level=LEVEL)
        covered += result.low <= true_recall <= result.high
        widths.append(result.high - result.low)
    return {"true_recall": round(true_recall, 4), "n_above": int(above.sum()), "n_below": int((~above).sum()),
            "positives_below": int(below_labels.sum()), "audit_size": AUDIT_SIZE, "draws": AUDIT_DRAWS,
            "level": LEVEL, "coverage": round(covered / AUDIT_DRAWS, 4),
            "mean_width": round(float(np.mean(widths)), 4)}


def main() -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        config, frame, truth = build_store(Path(tmp))
    holdout = frame.iloc[-HOLDOUT:].reset_index(drop=True)
    labels = holdout["alert_id"].map(truth).to_numpy()
    rest = frame.iloc[:-HOLDOUT].reset_index(drop=True)
    runs: dict[str, list[list[dict]]] = {p: [] for p in POLICIES}
    audits = []
    for repeat in range(REPEATS):
        rng = np.random.default_rng(100 + repeat)
        first = rng.choice(len(rest), size=INITIAL, replace=False)
        start = rest.iloc[first].copy()
        start[LABEL] = start["alert_id"].map(truth).astype("int64")
        pool = rest.drop(index=rest.index[first])
        for policy in POLICIES:
            runs[policy].append(run_policy(policy, start, pool, holdout, labels, truth, seed=repeat))
            print(f"repeat {repeat} {policy}: PR-AUC {runs[policy][-1][-1]['pr_auc']:.3f} after "
                  f"{runs[policy][-1][-1]['verdicts']} verdicts", flush=True)
        audits.append(audit_coverage(train(start, repeat), pool, truth, np.random.default_rng(7 + repeat)))
    curves = {p: [{"verdicts": point["verdicts"],
                   "pr_auc": round(float(np.mean([r[i]["pr_auc"] for r in runs[p]])), 4),
                   "recall": round(float(np.mean([r[i]["recall"] for r in runs[p]])), 4)}
                  for i, point in enumerate(runs[p][0])] for p in POLICIES}
    target = curves["random"][-1]["pr_auc"]
    reached = next((pt["verdicts"] for pt in curves["uncertain"] if pt["pr_auc"] >= target), None)
    result = {"machine": machine(), "rows": ROWS, "holdout": HOLDOUT, "initial_verdicts": INITIAL, "batch": BATCH,
              "repeats": REPEATS, "curves": curves, "random_pr_auc_at_full_budget": target,
              "uncertain_verdicts_to_reach_it": reached,
              "verdicts_saved": None if reached is None else max(BUDGETS) - reached,
              "audit": audits, "seconds": round(time.perf_counter() - started, 1)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "review.json").write_text(json.dumps(result, indent=2))
    lines = ["| verdicts | " + " | ".join(f"{p} PR-AUC | {p} recall" for p in POLICIES) + " |",
             "|---|" + "---|---|" * len(POLICIES)]
    for i, point in enumerate(curves["random"]):
        if point["verdicts"] in (0, *BUDGETS):
            lines.append(f"| {point['verdicts']} | " + " | ".join(
                f"{curves[p][i]['pr_auc']:.3f} | {curves[p][i]['recall']:.3f}" for p in POLICIES) + " |")
    (RESULTS / "review.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"random's PR-AUC after {max(BUDGETS)} verdicts: {target:.3f}; uncertain reaches it after {reached} "
          f"verdicts")
    for audit in audits:
        print(f"audit: true recall {audit['true_recall']:.3f}, {audit['level']:.0%} interval covers it in "
              f"{audit['coverage']:.1%} of {audit['draws']} draws of {audit['audit_size']} (mean width "
              f"{audit['mean_width']:.3f})")
    print(f"took {result['seconds']} s")


if __name__ == "__main__":
    main()
