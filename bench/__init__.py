"""Benchmarks, apart from the tests: one ``bench_<name>.py`` module per measurement, each with ``main()``.

``python -m bench`` runs them all; ``python -m bench NAME`` runs ``bench_NAME``.
Results are printed and written to ``bench/results/`` (not versioned);
``docs/BENCHMARKS.md`` records the numbers with the machine they came from.
"""
