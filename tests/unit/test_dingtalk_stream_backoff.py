"""Stream reconnect backoff: 1 s doubling to a 60 s cap, with jitter (docs/platforms/dingtalk.md D3)."""

from __future__ import annotations

import random

from bot.dingtalk.stream import backoff_delay


def test_the_delay_doubles_up_to_the_cap_with_jitter_in_its_upper_half() -> None:
    rng = random.Random(7)
    for failures, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (7, 60.0), (50, 60.0)]:
        delays = [backoff_delay(failures, rng=rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays), failures
        assert max(delays) - min(delays) > ceiling / 10  # really jittered, not in step


def test_base_and_cap_are_configurable() -> None:
    assert 0.05 <= backoff_delay(1, base=0.1, cap=5) <= 0.1
    assert 2.5 <= backoff_delay(10, base=0.1, cap=5) <= 5
