"""The offline harness gives back what each program run opened: a test process runs hundreds."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from gatewatch.harness import run_program
from tests.stacks import estate_config


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors in /proc")
def test_a_program_run_leaves_no_descriptor_or_thread_behind() -> None:
    run_program(estate_config(), stack="test")  # first run: imports and one-time set-up
    fds, threads = len(os.listdir("/proc/self/fd")), threading.active_count()
    for _ in range(3):
        run_program(estate_config(), stack="test")
    assert len(os.listdir("/proc/self/fd")) == fds
    assert threading.active_count() == threads
