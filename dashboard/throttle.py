"""Failed-login throttling: each failure doubles the wait before the next try from the same key.

:class:`LoginThrottle` counts failures per key (the login panel uses two: the
browser session and the user name given), so guessing from one tab, or
guessing one user's name from many tabs, slows down the same way. A try is
refused without checking the password while any of its keys must still wait.
The clock is injected, so tests move time instead of sleeping. Thread-safe:
one instance serves every session of the process. Plain Python: no Streamlit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable


class LoginThrottle:
    """Per-key failure counts and the time each key may try again."""

    def __init__(self, *, first_delay: float = 1.0, max_delay: float = 300.0, forget_after: float = 3600.0,
                 max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.first_delay, self.max_delay, self.forget_after = first_delay, max_delay, forget_after
        self.max_keys = max_keys
        self.clock = clock
        self._lock = threading.Lock()
        self._failures: dict[Hashable, tuple[int, float]] = {}  # key -> (failures, time of the last one)

    def _delay(self, failures: int) -> float:
        return min(self.first_delay * 2 ** min(failures - 1, 32), self.max_delay) if failures else 0.0

    def wait(self, *keys: Hashable) -> float:
        """Seconds before a try with these keys is allowed (0.0: now)."""
        now = self.clock()
        with self._lock:
            entries = [self._failures[key] for key in keys if key in self._failures]
        return max([0.0, *(last + self._delay(count) - now for count, last in entries)])

    def failed(self, *keys: Hashable) -> float:
        """Count one failure for each key; returns the wait it imposes."""
        now = self.clock()
        with self._lock:
            for key in keys:
                count, last = self._failures.pop(key, (0, now))
                if now - last > self.forget_after:
                    count = 0
                self._failures[key] = (count + 1, now)
            self._forget(now)
        return self.wait(*keys)

    def succeeded(self, *keys: Hashable) -> None:
        """Forget the failures of these keys."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def _forget(self, now: float) -> None:
        """Drop keys idle for ``forget_after``, then the oldest beyond ``max_keys`` (insertion order is age)."""
        if len(self._failures) <= self.max_keys:
            return
        for key in [k for k, (_, last) in self._failures.items() if now - last > self.forget_after]:
            del self._failures[key]
        while len(self._failures) > self.max_keys:
            del self._failures[next(iter(self._failures))]
