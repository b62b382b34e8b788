"""The machine a run was measured on, for the report header."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def _proc_value(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def describe() -> dict:
    memory_kb = _proc_value("/proc/meminfo", "MemTotal").split()
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": _proc_value("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "cpu_count": os.cpu_count(),
        "memory_gib": round(int(memory_kb[0]) / 1024 ** 2, 1) if memory_kb else None,
        "python": platform.python_version(),
        "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
    }


def load_average() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]
