"""The server under load: a copy of a built index as its own data dir, a staff login made with the CLI,
and `klimawissen serve` as a child process on a free loopback port, stopped by its own pid."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from bench.context import REPO, VENV_BIN, subprocess_env

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@contextmanager
def own_data_dir(index_dir: Path) -> Iterator[Path]:
    """A throw-away copy of the built index under /tmp: the run adds a user and uploads, the cache stays
    as it was."""
    parent = Path(tempfile.mkdtemp(prefix="klimawissen-loadtest-"))
    try:
        data_dir = parent / "data"
        shutil.copytree(index_dir, data_dir, symlinks=True)
        yield data_dir
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def add_staff_user(data_dir: Path, name: str, password: str) -> None:
    """The login the way the pact office makes one: `klimawissen users add NAME --role staff`."""
    done = subprocess.run(
        [str(VENV_BIN / "klimawissen"), "users", "add", name, "--role", "staff", "--password-stdin"],
        input=password + "\n", cwd=REPO, env=subprocess_env(data_dir), capture_output=True, text=True, timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"klimawissen users add failed ({done.returncode}): {done.stderr[-500:]}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
