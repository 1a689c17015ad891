"""`aws-tunnels` at hundreds of connections, over HTTP to the stand-in: `status` reads them in
batches (and says a few unknown ids plus a count), and Ctrl-C during a 300-connection `apply`
ends within seconds with one line naming the tunnels mid-change, modifying nothing after it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from gatewatch.aws_rollout import cli
from gatewatch.aws_rollout.throttle import DESCRIBE_CHUNK
from tests.support.aws_rollout import ARN, create_log_group, served_standin, subprocess_env
from tests.support.standins.ec2 import Ec2StandIn
from tests.support.standins.ec2_model import StandInSettings

# Tunnels stay DOWN far longer than the test: whatever was changed is still mid-change at the
# signal, however slow the machine.
LONG = StandInSettings(outage_seconds=120.0, down_delay=0.5, modify_seconds=100.0,
                       telemetry_lag=1.0)


@pytest.fixture
def served() -> Iterator[tuple[Ec2StandIn, str]]:
    with served_standin(LONG) as standin_and_url:
        yield standin_and_url


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gatewatch", "aws-tunnels", *args],
                          capture_output=True, text=True, timeout=120,
                          env=env or subprocess_env())


def test_status_of_200_connections_reads_them_in_batches_and_streams_rows(
        served: tuple[Ec2StandIn, str]) -> None:
    standin, url = served
    vpns = [standin.add_connection() for _ in range(200)]

    quick = _cli("status", "--no-maintenance", "--region", "us-east-1", "--endpoint-url", url,
                 *vpns)

    assert quick.returncode == 0, quick.stderr
    assert [line.split()[0] for line in quick.stdout.splitlines()
            if line.startswith("vpn-")] == vpns
    assert quick.stdout.count("maintenance=not-read") == 400
    assert standin.calls_by_action() == {"DescribeVpnConnections": 200 // DESCRIBE_CHUNK}

    full = _cli("status", "--region", "us-east-1", "--endpoint-url", url, *vpns[:20])
    assert full.returncode == 0 and full.stdout.count("maintenance=none") == 40
    assert standin.calls_by_action()["DescribeVpnConnections"] == 200 // DESCRIBE_CHUNK + 1


def test_2000_unknown_ids_are_a_short_line_naming_a_few_and_the_count(
        served: tuple[Ec2StandIn, str]) -> None:
    standin, url = served
    known = standin.add_connection()
    unknown = [f"vpn-{i:017x}" for i in range(0x10000, 0x10000 + 2000)]  # not the stand-in's

    done = _cli("status", "--region", "us-east-1", "--endpoint-url", url, known, *unknown)

    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert len(line) < 400, len(line)
    assert f"2000 unknown VPN connection ids: {', '.join(unknown[:5])} and 1995 more" in line
    assert known not in line and "nothing was touched" in line
    assert standin.calls_by_action() == {
        "DescribeVpnConnections": -(-2001 // DESCRIBE_CHUNK)}


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="delivers SIGINT to a process group")
def test_ctrl_c_during_apply_on_300_connections_says_what_is_mid_change_within_5_s(
        served: tuple[Ec2StandIn, str], moto_url: str) -> None:
    create_log_group(moto_url)
    standin, url = served
    vpns = [standin.add_connection() for _ in range(300)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "gatewatch", "aws-tunnels", "apply", "--region", "us-east-1",
         "--endpoint-url", url, "--log-group-arn", ARN, "--poll", "5", "--timeout", "300",
         *vpns],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=subprocess_env(moto_url),
        # SIGINT at its default in the child, as under a terminal.
        start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stderr is not None
    accepted = 0
    while accepted < 50:  # past EC2's mutating burst: hundreds of workers wait for tokens
        line = proc.stderr.readline()
        assert line, "ended before the changes"
        accepted += "change accepted" in line
    signalled = time.time()
    os.killpg(proc.pid, signal.SIGINT)
    after: list[tuple[float, str]] = []

    def pump() -> None:
        assert proc.stderr is not None
        for text in proc.stderr:
            after.append((time.time() - signalled, text.rstrip("\n")))

    reader = threading.Thread(target=pump)
    reader.start()
    proc.wait(timeout=60)
    reader.join()
    exited = time.time() - signalled

    assert proc.returncode == 130
    assert exited < 5.0, exited
    [(at, line)] = [(at, text) for at, text in after if "interrupted" in text]
    assert at < 5.0 and after[-1][1] == line
    assert all("Traceback" not in text for _, text in after)
    assert line.startswith(f"{cli.PROG}: interrupted (Ctrl-C); no further tunnel was modified")
    changed = standin.modify_calls()
    # No mutating call after the signal (0.2 s: the signal reaching the child's main thread).
    assert all(call.time <= signalled + 0.2 for call in changed)
    # Every tunnel changed is still DOWN, so every one is counted as mid-change, a few named.
    found = re.search(r"Mid-change, may still be coming back UP: (\d+) tunnel\(s\): (.*)", line)
    assert found and int(found[1]) == len(changed) >= 50
    for call in changed[:3]:
        assert f"{call.vpn_connection_id} tunnel 1 ({call.outside_ip})" in found[2]
    assert f"and {len(changed) - cli.MID_CHANGE_SHOWN} more" in found[2]
    assert "Rerun the same command" in line and "waited for" in line
