"""``teikit.workers.WorkerPool``: the one pool of worker processes (validate -j, entities -j)."""

from __future__ import annotations

import os
import signal

import pytest

from teikit.workers import WorkerPool, can_fork

_OFFSET = 0


def _set_offset(offset: int) -> None:
    global _OFFSET
    _OFFSET = offset


def _shifted(number: int) -> tuple[int, int]:
    return number + _OFFSET, os.getpid()


def _sigint_handler(_: int) -> bool:
    return signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def _fail_on_three(number: int) -> int:
    if number == 3:
        raise ValueError("three")
    return number


def test_results_come_in_task_order_from_initialised_workers() -> None:
    found = list(WorkerPool(2, _set_offset, (100,)).map(_shifted, range(40), chunksize=3))
    assert [value for value, _ in found] == list(range(100, 140))
    assert os.getpid() not in {pid for _, pid in found}  # computed in other processes


def test_workers_leave_ctrl_c_to_the_parent() -> None:
    assert list(WorkerPool(2).map(_sigint_handler, range(4))) == [True] * 4
    assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN


def test_a_failing_task_raises_in_the_parent_and_stops_the_workers() -> None:
    pool = WorkerPool(2)
    processes = pool._executor._processes  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="three"):
        list(pool.map(_fail_on_three, range(8)))
    assert processes  # the workers that ran, all stopped
    assert all(not process.is_alive() for process in processes.values())


def test_can_fork_matches_the_platform() -> None:
    import multiprocessing

    assert can_fork() == ("fork" in multiprocessing.get_all_start_methods())
