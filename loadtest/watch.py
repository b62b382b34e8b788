"""The server while the load runs: memory and threads, sampled, because the figures after the run hide the
peak that many open requests or an upload cause (VmHWM, the kernel's own memory peak, is read at the end)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench.startup import rss_mb


def thread_count(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise ValueError(f"/proc/{pid}/status has no Threads line")


class ServerWatch:
    def __init__(self, pid: int, interval: float = 0.5):
        self.pid = pid
        self.interval = interval
        self.rss: list[float] = []
        self.threads: list[int] = []

    async def watch(self) -> None:
        """Sample until cancelled."""
        while True:
            rss = rss_mb(self.pid)["rss_mb"]
            if rss is None:  # the server died (a zombie has no memory left): the errors will say so
                return
            self.rss.append(rss)
            self.threads.append(thread_count(self.pid))
            await asyncio.sleep(self.interval)

    def figures(self) -> dict:
        end = rss_mb(self.pid)
        return {"rss_mb_at_start": self.rss[0] if self.rss else None, "rss_mb_max_sampled": max(self.rss, default=None),
                "rss_mb_at_end": end["rss_mb"], "peak_rss_mb_vmhwm": end["peak_rss_mb"],
                "threads_at_start": self.threads[0] if self.threads else None,
                "threads_max_sampled": max(self.threads, default=None),
                "samples": len(self.rss), "sample_interval_s": self.interval}
