"""How much one file may ask of the machine: refused beyond these, so a hostile or broken file cannot stall
ingestion or the server. The defaults are the settings' defaults (assistant/config.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReaderLimits:
    max_mb: int = 50
    # Long company reports have a few hundred pages; far more is rarely one case study.
    max_pages: int = 1000
    # Wall-clock time to read one file; 2,000 text pages read in about 2 s on this 2-core machine.
    max_seconds: float = 120.0
    # Memory the reading process may take on top of the caller's; a 2,000-page PDF needed under 100 MB.
    max_memory_mb: int = 2048

    @property
    def max_bytes(self) -> int:
        return self.max_mb * 1024 * 1024
