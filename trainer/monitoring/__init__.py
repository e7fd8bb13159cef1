"""Drift and live performance of the champion: statistics (drift, prevalence, live), samples, signals, the report."""
