"""The offline harness gives back what each program run opened: a test process runs hundreds."""

from __future__ import annotations

import gc
import os
import threading
from pathlib import Path

import pytest

from gatewatch.offline.runtime import run_program
from tests.support.stacks import estate_config


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors in /proc")
def test_a_program_run_leaves_no_descriptor_or_thread_behind() -> None:
    def held() -> tuple[int, int]:
        gc.collect()  # what earlier tests left unreferenced goes now, not mid-measurement
        return len(os.listdir("/proc/self/fd")), threading.active_count()

    run_program(estate_config(), stack="test")  # first run: imports and one-time set-up
    before = held()
    for _ in range(3):
        run_program(estate_config(), stack="test")
    after = held()
    # No growth (other tests' leftovers may close meanwhile; three runs used to add 63 and 18).
    assert after[0] <= before[0] and after[1] <= before[1], (before, after)
