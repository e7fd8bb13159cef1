"""Feedback: where verdicts come from (sources, the embedded store, imports, the demo generator) and how they are cleaned."""
