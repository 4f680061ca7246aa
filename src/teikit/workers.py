"""One pool of worker processes for every capability that works in parallel.

:class:`WorkerPool` starts *jobs* processes: forked where the platform can fork (a worker
then inherits what the parent prepared, such as compiled schemas; see :func:`can_fork`),
else with the platform's default start method. Every worker leaves Ctrl-C to the parent
(:func:`teikit.interrupts.ignore_interrupts`, issue 17). :meth:`WorkerPool.map` yields the
results in task order; when the consumer stops early, a task fails or Ctrl-C arrives, the
queued work is cancelled and the workers are terminated without waiting on them
(:func:`teikit.interrupts.stop_pool`), and after the last result the pool is shut down.

A core module: it imports nothing from the capabilities (validation, entities...).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from teikit.interrupts import ignore_interrupts, stop_pool

__all__ = ["WorkerPool", "can_fork"]

_T = TypeVar("_T")
_R = TypeVar("_R")


def can_fork() -> bool:
    """Return whether worker processes are forked (and so inherit the parent's state).

    >>> isinstance(can_fork(), bool)
    True
    """
    return "fork" in multiprocessing.get_all_start_methods()


def _start_worker(initializer: Callable[..., object] | None, initargs: tuple[Any, ...]) -> None:
    """Prepare a worker: Ctrl-C is the parent's to handle, then the caller's initializer."""
    ignore_interrupts()
    if initializer is not None:
        initializer(*initargs)


class WorkerPool:
    """*jobs* worker processes that run one function over tasks, results in task order.

    The workers start when the pool is made; :meth:`map` runs tasks on them once.
    """

    def __init__(
        self,
        jobs: int,
        initializer: Callable[..., object] | None = None,
        initargs: tuple[Any, ...] = (),
    ) -> None:
        """Start *jobs* workers, each running ``initializer(*initargs)`` first."""
        # Not imported at start-up: a run served from a cache never needs processes.
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("fork" if can_fork() else None)
        self._executor = ProcessPoolExecutor(
            jobs,
            mp_context=context,
            initializer=_start_worker,
            initargs=(initializer, initargs),
        )

    def map(
        self, function: Callable[[_T], _R], tasks: Iterable[_T], *, chunksize: int = 1
    ) -> Iterator[_R]:
        """Yield ``function(task)`` for every task, in order; stop the workers when done.

        *chunksize* tasks are sent to a worker at a time.
        """
        try:
            yield from self._executor.map(function, tasks, chunksize=chunksize)
        except BaseException:  # Ctrl-C, a failure, or the consumer gone: never wait on workers
            stop_pool(self._executor)
            raise
        else:
            self._executor.shutdown(wait=True)
