"""Ctrl-C and termination: worker processes leave them to the parent, which stops them.

A worker of a process pool that receives SIGINT (the terminal sends it to the whole
process group) can die holding the pool's queue lock, and the pool then waits for ever
(issue 17: ``validate --jobs 2`` hung once in twenty interrupts). So workers ignore
SIGINT; the parent gets :class:`KeyboardInterrupt`, cancels what is queued and
terminates the workers (:func:`stop_pool`), and the command exits with 130.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # not imported at start-up: a run from the verdict cache never needs it
    from concurrent.futures import ProcessPoolExecutor

__all__ = ["EXIT_INTERRUPTED", "ignore_interrupts", "raise_on_terminate", "stop_pool"]

#: The exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130


def ignore_interrupts() -> None:
    """Make this (worker) process ignore Ctrl-C and die at once on SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _terminated(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def raise_on_terminate() -> None:
    """Turn SIGTERM into :class:`SystemExit` (143) so that temporary files are cleaned up."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminated)


@contextlib.contextmanager
def _deferred_interrupts() -> Iterator[None]:
    """Ignore a second Ctrl-C while the workers are being stopped (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel the work queued in *pool* and terminate its workers, without waiting on them."""
    with _deferred_interrupts():
        # _processes is the executor's own table of workers (CPython 3.8+); shutdown()
        # alone would wait for the running tasks, which may be what hangs.
        processes = list((getattr(pool, "_processes", None) or {}).values())
        manager = getattr(pool, "_executor_manager_thread", None)
        results = getattr(pool, "_result_queue", None)  # shutdown() forgets it
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(5)
            if process.is_alive():  # pragma: no cover - SIGTERM is not ignored by workers
                process.kill()
                process.join(5)
        # A worker terminated in the middle of writing a result left the pool's manager
        # thread waiting for the rest of it for ever, and the interpreter joins that thread
        # at exit: the run printed "interrupted" and hung (once in about ten interrupts of
        # validate -j 2). The workers are gone, so this process holds the last writing end
        # of the result pipe: closing it ends the wait (the manager sees the pool broken).
        writer = getattr(results, "_writer", None)
        if writer is not None:
            with contextlib.suppress(OSError):
                writer.close()
        if manager is not None:  # it sees the workers gone and ends; joined now, not at exit
            manager.join(5)  # (where it would race with the interpreter's own shutdown hook)
