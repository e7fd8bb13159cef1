"""The trainer service's states and a training cycle's stages, as the status file spells them.

The service writes them (:mod:`trainer.service.status`, :mod:`trainer.service.cycle`);
``cla trainer status`` and the dashboard read them.
"""

from __future__ import annotations

__all__ = [
    "STARTING",
    "IDLE",
    "TRAINING",
    "STOPPING",
    "STOPPED",
    "CRASHED",
    "STATES",
    "LIVE_STATES",
    "STAGE_IDLE",
    "STAGE_LOADING",
    "STAGE_FILTERING",
    "STAGE_TRAINING",
    "STAGE_EVALUATING",
    "STAGE_PROMOTING",
    "STAGE_WRITING",
    "STAGES",
    "CYCLE_STAGES",
]

STARTING, IDLE, TRAINING, STOPPING, STOPPED, CRASHED = "starting", "idle", "training", "stopping", "stopped", "crashed"
STATES = (STARTING, IDLE, TRAINING, STOPPING, STOPPED, CRASHED)
#: states in which a live service process must hold the service lock
LIVE_STATES = (STARTING, IDLE, TRAINING, STOPPING)

STAGE_IDLE = "idle"
STAGE_LOADING = "loading data"
STAGE_FILTERING = "filtering"
STAGE_TRAINING = "training"
STAGE_EVALUATING = "evaluating"
STAGE_PROMOTING = "promoting"
STAGE_WRITING = "writing"
#: the stages a cycle passes through, in order
CYCLE_STAGES = (STAGE_LOADING, STAGE_FILTERING, STAGE_TRAINING, STAGE_EVALUATING, STAGE_PROMOTING, STAGE_WRITING)
#: every value of the status file's ``stage``
STAGES = (STAGE_IDLE, *CYCLE_STAGES)
