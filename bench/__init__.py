"""Benchmarks, apart from the tests: one ``bench_<name>.py`` module per measurement, each with ``main()``.

``python -m bench`` runs them all; ``python -m bench NAME`` runs ``bench_NAME``.
Results are printed and written to ``bench/results/`` (not versioned);
``docs/BENCHMARKS.md`` records the numbers with the machine they came from.
"""


def record(path, result) -> None:
    """Write one benchmark's result as indented JSON to ``path`` (under bench/results/), creating the folder."""
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
