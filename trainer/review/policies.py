"""The three review queues: which pending alerts an analyst sees first, each explained in one sentence.

:func:`order` takes the champion's scores of the pending alerts and returns
their positions in queue order. ``audit`` uses a keyed hash of the alert id
(the key is the champion's id) as its random order: a uniform random sample
of the alerts below the threshold, which stays the same from one page refresh
to the next and is redrawn when the champion changes.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

POLICIES: dict[str, str] = {
    "uncertain": "Alerts the champion is least sure about (scores nearest its decision threshold): their verdicts "
                 "teach the model most.",
    "risk": "The highest-scored alerts first: what most likely matters today.",
    "audit": "A uniform random sample of the alerts the champion scores below its threshold, the ones analysts "
             "would skip: their verdicts estimate how many real attacks it misses, and so its recall in production.",
}

#: the queue the Review page opens on and ``cla review next`` lists without ``--policy``
DEFAULT_POLICY = "uncertain"


def check(policy: str) -> str:
    """``policy`` when it names a queue; ValueError naming the queues otherwise."""
    if policy not in POLICIES:
        raise ValueError(f"unknown review policy {policy!r}: choose {', '.join(POLICIES)}")
    return policy


def audit_keys(alert_ids: pd.Series, salt: str) -> np.ndarray:
    """A uniform pseudo-random number in [0, 1) per alert id, fixed for a given ``salt``."""
    def key(alert_id: str) -> float:
        digest = hashlib.blake2b(f"{salt}:{alert_id}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2 ** 64
    return np.fromiter((key(str(a)) for a in alert_ids), dtype=float, count=len(alert_ids))


def order(policy: str, scores: np.ndarray, threshold: float, alert_ids: pd.Series, salt: str) -> np.ndarray:
    """Positions of the alerts in ``policy``'s queue order (audit: only those scored below ``threshold``)."""
    check(policy)
    scores = np.asarray(scores, dtype=float)
    if policy == "uncertain":
        return np.argsort(np.abs(scores - threshold), kind="stable")
    if policy == "risk":
        return np.argsort(-scores, kind="stable")
    below = np.flatnonzero(scores < threshold)
    return below[np.argsort(audit_keys(alert_ids.iloc[below], salt), kind="stable")]
