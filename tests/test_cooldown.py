"""The per-user cooldown, on a clock the test turns."""

from __future__ import annotations

from bot.discord.cooldown import Cooldown, cooldown_text


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_user_waits_out_the_cooldown_others_do_not() -> None:
    clock = Clock()
    cooldown = Cooldown(10, clock)
    assert cooldown.retry_after(1) == 0
    clock.now += 2.5
    assert cooldown.retry_after(1) == 8
    assert cooldown.retry_after(2) == 0
    clock.now += 7.5
    assert cooldown.retry_after(1) == 0


def test_a_refused_question_does_not_restart_the_cooldown() -> None:
    clock = Clock()
    cooldown = Cooldown(10, clock)
    cooldown.retry_after(1)
    clock.now += 9.9
    assert cooldown.retry_after(1) == 1
    clock.now += 0.1
    assert cooldown.retry_after(1) == 0


def test_no_cooldown_lets_everyone_ask_at_once() -> None:
    cooldown = Cooldown(0, Clock())
    assert [cooldown.retry_after(1) for _ in range(3)] == [0, 0, 0]


def test_the_cooldown_text_says_how_long_to_wait() -> None:
    assert cooldown_text(4) == "You are asking quickly — try again in 4 s."
