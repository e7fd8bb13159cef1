"""``cla score ALERTS -o SCORED [--model ID]``: score alerts with the champion (or a named model).

Reads a CSV or Parquet file of alerts, loads the model through
:mod:`trainer.folder.scoring` (containment and signature checked before unpickling;
an unsigned legacy model only with ``--allow-unsigned``)
and writes the same rows with ``tp_probability``, ``tp_decision`` and
``model_id`` added (CSV, or Parquet when the output ends in ``.parquet``;
``-`` or no ``-o`` prints CSV). A one-line summary goes to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

from trainer.cli import CLIError
from trainer.contract import exit_codes


def register(sub, common) -> None:
    p = sub.add_parser("score", parents=[common], help="add probability and decision columns to a file of alerts",
                       description="Score alerts with the champion model (or --model ID).")
    p.add_argument("alerts", metavar="ALERTS", help="CSV or Parquet file of alerts (the model's feature columns)")
    p.add_argument("-o", "--output", default="-", metavar="FILE", help="where to write (default: stdout as CSV)")
    p.add_argument("--model", default=None, metavar="ID", help="score with this model instead of the champion")
    p.add_argument("--allow-unsigned", action="store_true",
                   help="also load a model that has no signature (the old CLA's): only if you trust everyone who "
                        "can write the models folder, since loading a pickle runs its code")
    p.set_defaults(handler=handle)


def _read(path: Path):
    import pandas as pd

    if not path.is_file():
        raise CLIError(f"alerts file {path} does not exist")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise CLIError(f"cannot read alerts file {path}: {exc}") from None


def handle(args, config) -> int:
    from trainer.folder import scoring

    frame = _read(Path(args.alerts))
    try:
        trust = {"allow_unsigned": args.allow_unsigned, "key_file": config.model_key_path}
        if args.model:
            model = scoring.load_model(config.models_dir, args.model, **trust)
        else:
            model = scoring.load_champion(config.models_dir, **trust)
        scored = scoring.score_frame(model, frame)
    except scoring.ModelLoadError as exc:
        raise CLIError(str(exc)) from None
    except ValueError as exc:
        raise CLIError(f"cannot score {args.alerts}: {exc}") from None
    try:
        if args.output == "-":
            scored.to_csv(sys.stdout, index=False)
        elif args.output.lower().endswith((".parquet", ".pq")):
            scored.to_parquet(args.output, index=False)
        else:
            scored.to_csv(args.output, index=False)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise CLIError(f"cannot write {args.output}: {exc.strerror or exc}; "
                       "pass -o with a path in an existing, writable folder") from None
    flagged = int(scored[scoring.DECISION_COLUMN].sum())
    model_id = scored[scoring.MODEL_ID_COLUMN].iloc[0] if len(scored) else getattr(model, "metadata", {}).get("model_id")
    print(f"scored {len(scored)} alert(s) with model {model_id}: {flagged} at or above threshold "
          f"{model.threshold:.3f}" + ("" if args.output == "-" else f", written to {args.output}"), file=sys.stderr)
    return exit_codes.OK
