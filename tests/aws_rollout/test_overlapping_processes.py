"""The rollout journal between real OS processes: two `gatewatch aws-tunnels apply` commands
started together on the same connections, and a run killed (SIGKILL) right after its first
accepted change followed at once by a second one. Both talk HTTP to one EC2 stand-in on the
real clock and keep their journal in one CloudWatch Logs group on moto.

The stand-in's `modifying` State and IncorrectState end long before the tunnel is back, and its
telemetry lags: right after a change nothing EC2 answers says the tunnel is in flight, so only
the journal (written by one process, read by the other) keeps both tunnels from going down.
test_journal.py proves the same rules with two engines on one simulated clock in one process.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest

from tests.support.aws_rollout import (
    ARN,
    create_log_group,
    journal_records,
    max_both_down_seconds,
    served_standin,
    subprocess_env,
)
from tests.support.standins.ec2 import Ec2StandIn
from tests.support.standins.ec2_model import StandInSettings

# A tunnel drops 0.2 s after the call and is back 3 s later; IncorrectState and `modifying`
# last 0.5 s; telemetry shows the tunnel as it was 2 s ago. A process started right after a
# change (about 0.4 s of imports) sees that tunnel UP with nothing in flight, except in the
# journal.
FAST = StandInSettings(outage_seconds=3.0, down_delay=0.2, modify_seconds=0.5,
                       modifying_seconds=0.5, telemetry_lag=2.0)
POLL, TIMEOUT = "0.2", "30"
WAIT_LINE = "(options, rollout journal) and is not UP since"
WAITED_FOR = re.compile(r"was changed by run (\w+) at \S+ \(options, rollout journal\)")


@pytest.fixture
def served() -> Iterator[tuple[Ec2StandIn, str]]:
    with served_standin(FAST) as standin_and_url:
        yield standin_and_url


@pytest.fixture
def group(moto_url: str) -> str:
    """A log group of its own (the tunnels' logs and the journal), so no earlier test's
    journal records are read."""
    arn = ARN.replace("vpn-tunnels", f"gatewatch/procs-{uuid.uuid4().hex[:8]}")
    create_log_group(moto_url, arn)
    return arn


def _apply(url: str, moto_url: str, group: str, vpns: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "gatewatch", "aws-tunnels", "apply", "--region", "us-east-1",
         "--endpoint-url", url, "--log-group-arn", group, "--poll", POLL, "--timeout", TIMEOUT,
         *vpns],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=subprocess_env(moto_url))


def _finish(proc: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    out, err = proc.communicate(timeout=90)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _assert_all_configured(standin: Ec2StandIn, vpns: list[str], group: str) -> None:
    for vpn in vpns:
        for ip in standin.tunnel_ips(vpn):
            options = standin.log_options(vpn, ip)
            assert (options.get("LogEnabled"), options.get("LogGroupArn"),
                    options.get("LogOutputFormat")) == (True, group, "json"), (vpn, ip, options)


def _summary(done: subprocess.CompletedProcess[str]) -> tuple[int, int, int]:
    """(changed, skipped, failed) from the run's summary line."""
    [line] = [line for line in done.stdout.splitlines() if ", skipped " in line]
    words = line.replace(",", "").split()
    return (int(words[words.index("changed") + 1]), int(words[words.index("skipped") + 1]),
            int(words[words.index("failed") + 1]))


def test_two_processes_started_together_never_take_both_tunnels_down(
        served: tuple[Ec2StandIn, str], moto_url: str, group: str) -> None:
    standin, url = served
    vpns = [standin.add_connection() for _ in range(3)]

    procs = [_apply(url, moto_url, group, vpns), _apply(url, moto_url, group, vpns)]
    runs = [_finish(proc) for proc in procs]

    assert max_both_down_seconds(standin) == 0.0
    for vpn in vpns:
        assert standin.double_down_seconds(vpn, until=time.time() + 60) == 0.0, vpn
    _assert_all_configured(standin, vpns, group)
    for done in runs:
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
    # Between the two every tunnel was changed (observed: exactly once, the other run
    # skipping it; a tunnel changed again by the later run costs an outage, not safety).
    tallies = [_summary(done) for done in runs]
    assert all(changed + skipped == 6 and failed == 0 for changed, skipped, failed in tallies)
    assert sum(changed for changed, _, _ in tallies) == len(standin.modify_calls()) >= 6
    # Both runs journaled their changes, and whoever waited named the other run (a run calls
    # its own changes "this run").
    ids = {r.run_id for r in journal_records(moto_url, group)}
    named = [set(WAITED_FOR.findall(done.stderr)) for done in runs]
    assert len(ids) == 2 and named[0] | named[1] and named[0] | named[1] <= ids, named
    assert not named[0] & named[1]


def test_a_kill_after_the_first_change_then_an_immediate_rerun_waits_for_it(
        served: tuple[Ec2StandIn, str], moto_url: str, group: str) -> None:
    standin, url = served
    vpns = [standin.add_connection() for _ in range(2)]

    first = _apply(url, moto_url, group, vpns)
    deadline = time.monotonic() + 30
    while not standin.modify_calls():
        assert first.poll() is None and time.monotonic() < deadline, "no change was made"
        time.sleep(0.005)
    first.kill()  # SIGKILL: no handler, no last line
    second = _apply(url, moto_url, group, vpns)
    first.communicate(timeout=30)
    done = _finish(second)

    assert first.returncode == -9
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert max_both_down_seconds(standin) == 0.0
    _assert_all_configured(standin, vpns, group)
    # The killed run's record of its change, written before the call, is what the rerun read.
    [victim] = standin.modify_calls()[:1]
    [killed] = {r.run_id for r in journal_records(moto_url, group)
                if (r.vpn_connection_id, r.outside_ip) == (victim.vpn_connection_id,
                                                           victim.outside_ip)}
    wait = [line for line in done.stderr.splitlines()
            if line.split("] ", 1)[-1].startswith(f"{victim.vpn_connection_id} tunnel 1 ")
            and f"tunnel 1 ({victim.outside_ip}) was changed by run {killed} at " in line
            and WAIT_LINE in line]
    assert wait, done.stderr
