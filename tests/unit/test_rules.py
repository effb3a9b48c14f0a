import pytest

from domain.models import Stage
from domain.rules import allowed_transitions, can_transition, is_advance


def test_open_stages_can_close_either_way() -> None:
    for stage in (Stage.LEAD, Stage.EVALUATION, Stage.NEGOTIATION):
        assert can_transition(stage, Stage.WON)
        assert can_transition(stage, Stage.LOST)


def test_won_is_final_and_lost_only_reopens_as_lead() -> None:
    assert allowed_transitions(Stage.WON) == frozenset()
    assert allowed_transitions(Stage.LOST) == frozenset({Stage.LEAD})


@pytest.mark.parametrize(
    ("a", "b", "advance"),
    [
        (Stage.LEAD, Stage.EVALUATION, True),
        (Stage.EVALUATION, Stage.NEGOTIATION, True),
        (Stage.NEGOTIATION, Stage.WON, True),
        (Stage.NEGOTIATION, Stage.EVALUATION, False),
        (Stage.EVALUATION, Stage.LOST, False),
    ],
)
def test_advances_count_only_forward_moves(a: Stage, b: Stage, advance: bool) -> None:
    assert is_advance(a, b) is advance
