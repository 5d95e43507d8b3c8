"""Per-user cooldown shared by /ask and @mentions, so one person cannot flood the bot."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class Cooldown:
    """At most one question per user every ``seconds``; the clock is injectable for tests."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._last: dict[int, float] = {}

    def retry_after(self, user_id: int) -> int:
        """0 when ``user_id`` may ask now (and counts this question), else whole seconds to wait."""
        now = self._clock()
        last = self._last.get(user_id)
        if last is not None and now - last < self.seconds:
            return max(1, math.ceil(self.seconds - (now - last)))
        self._last[user_id] = now
        if len(self._last) > 10_000:
            # Forget users whose cooldown is over so the table stays small.
            self._last = {user: at for user, at in self._last.items() if now - at < self.seconds}
        return 0


def cooldown_text(seconds: int) -> str:
    """What someone asking too quickly is told."""
    return f"You are asking quickly — try again in {seconds} s."
