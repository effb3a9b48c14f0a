"""Business rules as plain functions: no database, no clock of their own."""

from __future__ import annotations

from domain.models import Stage

OPEN_STAGES = (Stage.LEAD, Stage.EVALUATION, Stage.NEGOTIATION)
CLOSED_STAGES = (Stage.WON, Stage.LOST)
STAGE_ORDER = {Stage.LEAD: 0, Stage.EVALUATION: 1, Stage.NEGOTIATION: 2, Stage.WON: 3, Stage.LOST: 3}


def allowed_transitions(current: Stage) -> frozenset[Stage]:
    """Where an opportunity may go from ``current``.

    Open stages move freely among themselves (deals do slip back), and any
    open stage may close as 成交 or 流失. 成交 is final; a lost deal may only
    be reopened as 潜在.
    """
    if current in OPEN_STAGES:
        return frozenset(s for s in Stage if s != current)
    if current == Stage.LOST:
        return frozenset({Stage.LEAD})
    return frozenset()


def can_transition(current: Stage, target: Stage) -> bool:
    return target in allowed_transitions(current)


def is_advance(current: Stage, target: Stage) -> bool:
    """A move forward in the funnel (counts as a stage advance on the leaderboard)."""
    return target != Stage.LOST and STAGE_ORDER[target] > STAGE_ORDER[current]
