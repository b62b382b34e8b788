"""One time axis for the whole run, so that answers can be placed against the staff's upload and delete."""

from __future__ import annotations

import time


class RunClock:
    def __init__(self) -> None:
        self._start = time.perf_counter()

    def now(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self._start
