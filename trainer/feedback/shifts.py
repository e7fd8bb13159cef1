"""Shifts for the live demo feed (``cla demo feed --shift NAME``): alerts that no longer look like the history.

Each shift rewrites a share of the rows :func:`trainer.feedback.demo.generate_live`
drew, the way a SOC's alerts change:

- ``new-source``: a new sensor (``source_product`` "NDR") starts raising its own
  rules, names the history never held;
- ``reputation``: the threat-intelligence feed behind ``src_reputation`` is
  re-scaled, so every score moves up by about 35 points;
- ``attacks``: a rise in real attacks: a third of the alerts are confirmed
  true positives from the campaign's rules, with high severity.

:func:`apply_shift` is deterministic for a given generator; docs/DRIFT.md
shows what each one does to the Drift page.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SHIFTS = ("new-source", "reputation", "attacks")
NDR_RULES = ("NDR: anomalous east-west volume", "NDR: rare internal protocol", "NDR: beacon-like periodicity")
NEW_SOURCE_SHARE = 0.4
ATTACK_SHARE = 0.33
ATTACK_RULES = ("Suspicious PowerShell command line", "Credential dumping (LSASS access)", "SMB lateral movement",
                "Beaconing to rare domain")
ATTACK_TYPES = {"Suspicious PowerShell command line": "execution", "Credential dumping (LSASS access)": "credential_access",
                "SMB lateral movement": "lateral_movement", "Beaconing to rare domain": "command_and_control"}


def apply_shift(frame: pd.DataFrame, name: str, rng: np.random.Generator) -> pd.DataFrame:
    """A copy of ``frame`` (live demo rows) with shift ``name`` applied; raises ValueError for an unknown name."""
    if name not in SHIFTS:
        raise ValueError(f"unknown shift {name!r}; choose one of {', '.join(SHIFTS)}")
    out = frame.copy()
    n = len(out)
    if name == "new-source":
        rows = rng.random(n) < NEW_SOURCE_SHARE
        picked = np.asarray(NDR_RULES, dtype=object)[rng.integers(0, len(NDR_RULES), n)]
        out.loc[rows, "source_product"] = "NDR"
        out.loc[rows, "rule_name"] = picked[rows]
        out.loc[rows, "alert_type"] = "lateral_movement"
    elif name == "reputation":
        out["src_reputation"] = np.round(np.clip(out["src_reputation"].to_numpy(dtype=float) + 35.0, 0.0, 100.0), 1)
    else:
        rows = rng.random(n) < ATTACK_SHARE
        picked = np.asarray(ATTACK_RULES, dtype=object)[rng.integers(0, len(ATTACK_RULES), n)]
        out.loc[rows, "rule_name"] = picked[rows]
        out.loc[rows, "alert_type"] = [ATTACK_TYPES[r] for r in picked[rows]]
        out.loc[rows, "source_product"] = np.where(np.isin(picked[rows], ATTACK_RULES[2:]), "IDS", "EDR")
        out.loc[rows, "severity"] = np.where(rng.random(int(rows.sum())) < 0.5, "high", "critical")
        out.loc[rows, "src_reputation"] = np.round(rng.uniform(60, 90, int(rows.sum())), 1)
        out.loc[rows, "is_true_positive"] = 1
        out.loc[rows, "analyst_comments"] = "Confirmed campaign activity; host isolated and escalated to IR."
    return out
