"""The offline harness gives back what each program run opened: a test process runs hundreds."""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from pathlib import Path

import pytest

from gatewatch.offline.runtime import run_program
from tests.support.stacks import estate_config


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors in /proc")
def test_a_program_run_leaves_no_descriptor_or_thread_behind() -> None:
    """Each run used to leave its event loop (an epoll descriptor and a socket pair) and its
    executor's threads behind: three runs added 63 descriptors and 18 threads. Other tests in the
    same worker may open or close a descriptor meanwhile (a stand-in's connection), so the
    check is on what a run's loop holds, epoll descriptors, plus a total below one loop's worth."""
    def held() -> tuple[int, int, int]:
        gc.collect()  # what earlier tests left unreferenced goes now, not mid-measurement
        fds = os.listdir("/proc/self/fd")
        epolls = 0
        for fd in fds:
            with contextlib.suppress(OSError):  # the listing's own descriptor is gone by now
                epolls += os.readlink(f"/proc/self/fd/{fd}") == "anon_inode:[eventpoll]"
        return len(fds), epolls, threading.active_count()

    run_program(estate_config(), stack="test")  # first run: imports and one-time set-up
    before = held()
    for _ in range(3):
        run_program(estate_config(), stack="test")
    after = held()
    assert after[1] <= before[1], f"event loops left open: {before} -> {after}"
    assert after[2] <= before[2], f"threads left running: {before} -> {after}"
    assert after[0] - before[0] < 3, f"descriptors left open: {before} -> {after}"
