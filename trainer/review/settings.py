"""The ``[review]`` options: how many pending alerts a queue scores, and when the audit estimate is shown.

Declared with `trainer.options.opt` like every other option; `trainer.config.Config`
holds them as ``review``, and ``cla config options`` lists them with the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from trainer.options import check_fields, opt


@dataclass
class ReviewConfig:
    """The review queue: which alerts analysts see, and the audit estimate of production recall."""

    max_pending: int = opt(20_000, "At most this many pending alerts (the newest) are read and scored for a queue.",
                           min=1)
    min_audit_verdicts: int = opt(30, "Audit verdicts needed before the estimated production recall is shown.",
                                  min=1)
    interval: float = opt(0.9, "Coverage of the interval around the estimated production recall.",
                          min=0.5, max=0.999)

    def __post_init__(self) -> None:
        check_fields(self, "review.")
