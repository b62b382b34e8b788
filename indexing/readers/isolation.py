"""Read a file in a child process that is stopped at a deadline and capped in memory.

pypdf and YAML are pure Python, and Python cannot interrupt a running parser: a hostile file (a huge
content stream, front matter that expands exponentially) could keep a reader busy for hours or take all
memory. A child process can be killed at the deadline and gives all its memory back when it ends, so the
server and the rest of the batch carry on.

The child is a fork: it starts with the readers already imported and re-imports no main module (a fork
server or spawned child would, for every file). The parent may run threads; the child only parses, pickles
its result into a pipe and exits, logging nothing (a parent thread may have held a stream lock at the fork)
and touching no store or connection. Should it still block on such a lock, the deadline ends it like any
runaway read.
"""

from __future__ import annotations

import gc
import logging
import math
import multiprocessing
import resource
import signal
import traceback
from typing import Any, Callable

from indexing.errors import IngestError, LimitExceededError, UnreadableFileError
from indexing.readers.limits import ReaderLimits

log = logging.getLogger(__name__)

_CONTEXT = multiprocessing.get_context("fork")


def run_isolated(read: Callable[..., Any], *arguments: Any, limits: ReaderLimits) -> Any:
    """`read(*arguments)` in a child process within the limits; its IngestError is raised here."""
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    child = _CONTEXT.Process(target=_run_in_child, args=(sender, limits, read, *arguments), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(limits.max_seconds):
            raise LimitExceededError(
                f"Das Lesen der Datei hat länger als {limits.max_seconds:g} Sekunden gedauert und wurde "
                "abgebrochen. Die Datei ist vermutlich beschädigt oder ungewöhnlich aufgebaut; bitte neu "
                "exportieren (z. B. als PDF drucken) und erneut hochladen. (Grenze: max_read_seconds)"
            )
        try:
            outcome, failure = receiver.recv()
        except EOFError:
            raise UnreadableFileError(
                "Das Lesen der Datei ist unerwartet abgebrochen; die Datei ist vermutlich beschädigt."
            ) from None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()
    if failure:
        log.warning("a reader failed on unforeseen input:\n%s", failure)
    if isinstance(outcome, IngestError):
        raise outcome
    return outcome


def _run_in_child(sender, limits: ReaderLimits, read: Callable[..., Any], *arguments: Any) -> None:
    """Send back what `read` returned, or the IngestError that explains why it could not."""
    gc.freeze()  # the parent's objects: a collection walking them would copy every page the fork shares
    logging.disable(logging.CRITICAL)
    # Should the parent be gone (killed mid-batch), nobody stops this process at the deadline but itself.
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(math.ceil(limits.max_seconds) + 1)
    _cap_memory(limits.max_memory_mb)
    failure = ""
    try:
        outcome = read(*arguments)
    except IngestError as error:
        outcome = error
    except MemoryError:
        outcome = LimitExceededError(
            f"Das Lesen der Datei brauchte mehr als {limits.max_memory_mb} MB Arbeitsspeicher und wurde "
            "abgebrochen. Die Datei enthält vermutlich übergroße oder endlos verschachtelte Inhalte. "
            "(Grenze: max_read_memory_mb)"
        )
    except Exception as error:  # a parser failing on input nobody foresaw: the file's fault, not the batch's
        failure = traceback.format_exc(limit=-10)  # the innermost frames: where the parser gave up
        outcome = UnreadableFileError(
            "Die Datei ist beschädigt oder ungewöhnlich aufgebaut und kann nicht gelesen werden "
            f"({type(error).__name__})."
        )
    sender.send((outcome, failure))


def _cap_memory(megabytes: int) -> None:
    """Allow `megabytes` on top of what the fork already maps (the parent's libraries, models and heap)."""
    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * resource.getpagesize()
    limit = mapped + megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
