"""`aws-tunnels` (alias `tunnel-logs`) end to end over HTTP to the stand-in on 127.0.0.1.

Most runs call the command's main() in this process (output through capsys, credentials only
from the environment set here, boto3's default session reset around each test): a subprocess
costs about half a second of imports each time and proves nothing more about the rollout. The
console entry point itself (`python -m gatewatch ...`: exit codes, one-line errors, Ctrl-C,
credentials from the environment) keeps its subprocess tests, one of them against the stand-in.

Real clock with a short outage (0.5 s) and 0.1 s polls keeps each run around a second.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gatewatch.aws_rollout import cli
from gatewatch.aws_rollout.clock import RealClock, SimClock
from tests.support.aws_rollout import (
    ARN,
    ENABLED_API,
    create_log_group,
    isolated_cli,
    max_both_down_seconds,
    served_standin,
    subprocess_env,
)
from tests.support.standins.ec2 import Ec2StandIn
from tests.support.standins.ec2_model import DOWN, StandInSettings

# A tunnel drops 0.05 s after the call and is back 0.5 s later; telemetry lags 0.15 s. Polling
# every 0.1 s still sees each outage several times (the "waiting for UP" lines).
FAST = StandInSettings(outage_seconds=0.5, down_delay=0.05, modify_seconds=0.4,
                       telemetry_lag=0.15)
POLL = "0.1"


@pytest.fixture
def served() -> Iterator[tuple[Ec2StandIn, str]]:
    with served_standin(FAST) as standin_and_url:
        yield standin_and_url


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], moto_url: str,
            ) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`gatewatch aws-tunnels ARGS` in this process, with the subprocess tests' environment
    (dummy credentials, no AWS config files, STS and CloudWatch Logs on moto, where the log
    group ARN names exists); returns what a subprocess run would. With `clock=`, the engine
    waits on that clock instead of the real one."""
    return isolated_cli(monkeypatch, capsys, moto_url)


def tunnel_logs(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gatewatch", "tunnel-logs", *args],
        capture_output=True, text=True, timeout=60, env=subprocess_env(),
    )


def test_apply_then_rerun_then_status(served: tuple[Ec2StandIn, str],
                                     run_cli: Callable[..., Any]) -> None:
    standin, url = served
    vpns = [standin.add_connection(), standin.add_connection()]
    common = ["--region", "us-east-1", "--endpoint-url", url]

    done = run_cli("apply", *common, "--log-group-arn", ARN, "--poll", POLL,
                       "--timeout", "20", *vpns)

    assert done.returncode == 0, done.stderr
    assert "changed 4, skipped 0, failed 0" in done.stdout
    assert "waiting for UP after the change" in done.stderr  # the person sees the wait
    assert "Traceback" not in done.stderr
    assert len(standin.modify_calls()) == 4
    assert max_both_down_seconds(standin) == 0.0

    again = run_cli("apply", *common, "--log-group-arn", ARN, "--poll", POLL, *vpns)
    assert again.returncode == 0 and "changed 0, skipped 4, failed 0" in again.stdout
    assert len(standin.modify_calls()) == 4

    status = run_cli("status", *common, *vpns)
    assert status.returncode == 0, status.stderr
    lines = [line.split() for line in status.stdout.splitlines() if "tunnel" in line]
    assert len(lines) == 4
    assert all(words[3] == "UP" and f"tunnel-logs=json:{ARN}" in words
               and f"bgp-logs=json:{ARN}" in words and "lifecycle-control=on" in words
               and "maintenance=none" in words for words in lines)


def test_apply_stops_with_exit_1_when_the_other_tunnel_is_down(
        served: tuple[Ec2StandIn, str], run_cli: Callable[..., Any]) -> None:
    standin, url = served
    vpn = standin.add_connection()
    _, ip2 = standin.tunnel_ips(vpn)
    standin.set_status(vpn, ip2, DOWN)
    time.sleep(FAST.telemetry_lag + 0.1)

    stopped = run_cli("apply", "--region", "us-east-1", "--endpoint-url", url,
                          "--log-group-arn", ARN, "--poll", POLL, vpn)

    assert stopped.returncode == 1
    assert f"{vpn} tunnel 1" in stopped.stderr and f"tunnel 2 ({ip2}) is DOWN" in stopped.stderr
    assert "was not touched" in stopped.stderr and "Traceback" not in stopped.stderr
    assert standin.modify_calls() == []


def test_disable_and_timeout_exit_1_naming_the_tunnel(served: tuple[Ec2StandIn, str],
                                                     run_cli: Callable[..., Any]) -> None:
    standin, url = served
    vpn = standin.add_connection(ENABLED_API)
    ip1, ip2 = standin.tunnel_ips(vpn)
    standin.break_tunnel(vpn, ip1)

    stopped = run_cli("apply", "--disable", "--region", "us-east-1", "--endpoint-url", url,
                      "--journal-group-arn", ARN, "--poll", POLL, "--timeout", "1",
                      vpn)  # twice a normal outage

    assert stopped.returncode == 1
    assert f"tunnel 1 ({ip1}) was not UP after the change within 1s" in stopped.stderr
    assert f"tunnel 2 ({ip2}) was not touched" in stopped.stderr
    assert standin.log_options(vpn, ip2) == ENABLED_API


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["apply", "--log-group-arn", ARN, "vpn-XYZ"], "VPN_ID 'vpn-XYZ'"),
        (["apply", "--log-group-arn", "arn:aws:s3:::bucket", "vpn-0123456789abcdef0"],
         "--log-group-arn"),
        (["status", "--endpoint-url", "notaurl", "vpn-0123456789abcdef0"],
         "--endpoint-url 'notaurl' is not an http(s) URL; expected http(s)://host[:port][/path]"),
        (["apply", "--disable", "--log-group-arn", ARN, "vpn-0123456789abcdef0"],
         "--log-group-arn has no effect with --disable"),
    ],
)
def test_bad_input_exits_2_in_one_line_as_a_subprocess(args: list[str], names: str) -> None:
    bad = tunnel_logs(*args[:1], "--region", "us-east-1", *args[1:])
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and names in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--format", "xml"], "--format must be json or text"),
        (["--timeout", "0"], "--timeout must be a positive number"),
        (["--timeout", "soon"], "--timeout must be a positive number"),
        (["--poll", "-1"], "--poll must be a positive number"),
        (["--parallel", "1.5"], "--parallel must be a positive whole number"),
        (["--region", "mars-1"], "--region 'mars-1' is not an AWS region"),
        (["--log-group-arn", ARN.replace("us-east-1", "eu-west-1")], "same region"),
        (["--log-group-arn", ""], "--log-group-arn is required"),
        (["--log-group-arn", ARN + "\n"], "is not a CloudWatch Logs log group ARN"),
        (["--endpoint-url", "notaurl"], "--endpoint-url 'notaurl' is not an http(s) URL"),
        (["--endpoint-url", "ftp://127.0.0.1"], "e.g. --endpoint-url https://ec2.us-east-1."),
        (["--endpoint-url", "http://127.0.0.1:99999"], "--endpoint-url"),
        (["--endpoint-url", "127.0.0.1:8080"], "--endpoint-url"),
        (["--endpoint-url", "http://"], "--endpoint-url"),
        (["--disable"], "--log-group-arn has no effect with --disable; drop --log-group-arn"),
    ],
)
def test_bad_input_exits_2_naming_argument_and_fix(
        args: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["tunnel-logs", "apply", "--region", "us-east-1", "--log-group-arn", ARN,
            *args, "vpn-0123456789abcdef0"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1


def test_status_of_an_unknown_id_is_bad_input_naming_it(served: tuple[Ec2StandIn, str],
                                                       run_cli: Callable[..., Any]) -> None:
    standin, url = served
    known = standin.add_connection()
    missing = run_cli("status", "--region", "us-east-1", "--endpoint-url", url,
                      known, "vpn-0123456789abcdef0")
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1
    assert "unknown VPN connection id: vpn-0123456789abcdef0" in missing.stderr
    assert known not in missing.stderr and "Traceback" not in missing.stderr


def test_add_parser_sets_func_for_the_gatewatch_dispatcher() -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="gatewatch")
    sub = parser.add_subparsers(dest="command")
    cli.add_parser(sub)
    args = parser.parse_args(["tunnel-logs", "status", "--region", "us-east-1",
                              "vpn-0123456789abcdef0"])
    assert args.func is cli.run and args.command == "tunnel-logs"


def test_disable_with_an_explicit_format_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["tunnel-logs", "apply", "--region", "us-east-1", "--disable", "--format", "text",
            "vpn-0123456789abcdef0"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "--format has no effect with --disable" in err and err.count("\n") == 1


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "https://ec2.us-east-1.amazonaws.com",
                                 "http://localhost:4566/ec2/", "http://[::1]:8080"])
def test_good_endpoint_urls_pass_validation(url: str) -> None:
    parser = argparse.ArgumentParser(prog="gatewatch")
    cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["tunnel-logs", "apply", "--region", "us-east-1", "--endpoint-url",
                              url, "--log-group-arn", ARN, "vpn-0123456789abcdef0"])
    plan, _, _ = cli._validate_all(args)
    options = plan[0][1]
    assert options is not None and options.log_output_format == "json"


def test_status_against_an_unreachable_endpoint_says_so_and_fails_fast(
        run_cli: Callable[..., Any]) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    vpn = "vpn-0123456789abcdef0"
    clock = SimClock()  # the engine's backoff between tries costs no real time here
    started, sim_started = time.monotonic(), clock.now()

    down = run_cli("status", "--region", "us-east-1", "--endpoint-url",
                   f"http://127.0.0.1:{port}", vpn, clock=clock)

    # Fails fast: 3 tries, backing off at most 1 s then 2 s (retry.Backoff, jitter 0.5-1x)...
    assert 0.0 < clock.now() - sim_started <= 3.0
    # ...and nothing waits in real time behind the engine's back (botocore's own retries off).
    assert time.monotonic() - started < 5.0
    assert down.returncode == 1 and "Traceback" not in down.stderr
    lines = down.stderr.splitlines()
    retries = [line for line in lines if ": retry: " in line]
    assert len(retries) == 2
    assert all(vpn in line and "EndpointConnectionError" in line for line in retries)
    assert "[    0.0s]" not in retries[1]  # elapsed counts from the start of the read
    assert lines[-1].startswith(f"{cli.PROG}: error: {vpn}: could not connect to the EC2 "
                                "endpoint after 3 tries")


# Tunnel 1 stays down far longer than the test takes: Ctrl-C always lands mid-change, however
# busy the machine is, and the run ends at the interrupt, so the long outage costs nothing.
INTERRUPTIBLE = StandInSettings(outage_seconds=60.0, down_delay=0.05, modify_seconds=50.0,
                                telemetry_lag=0.15)


def test_ctrl_c_mid_rollout_exits_130_in_one_line_and_modifies_nothing_more(
        moto_url: str) -> None:
    create_log_group(moto_url)
    standin = Ec2StandIn(RealClock(), INTERRUPTIBLE)
    with standin.serve() as url:
        _interrupt_mid_rollout(standin, url, moto_url)


def _interrupt_mid_rollout(standin: Ec2StandIn, url: str, moto_url: str) -> None:
    import signal

    vpn = standin.add_connection()
    ip1, ip2 = standin.tunnel_ips(vpn)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gatewatch", "tunnel-logs", "apply", "--region", "us-east-1",
         "--endpoint-url", url, "--log-group-arn", ARN, "--poll", POLL, "--timeout", "20", vpn],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=subprocess_env(moto_url),
        # SIGINT at its default in the child, as under a terminal (a background shell ignores
        # it, and Python then installs no KeyboardInterrupt handler).
        start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stderr is not None
    progress = []
    while not any("change accepted" in line for line in progress):  # tunnel 1 is changing
        line = proc.stderr.readline()
        assert line, f"ended before the change: {progress}"
        progress.append(line)
    os.killpg(proc.pid, signal.SIGINT)
    _, rest = proc.communicate(timeout=60)
    assert proc.returncode == 130, rest
    assert "Traceback" not in rest
    [line] = [line for line in rest.splitlines() if "interrupted" in line]
    assert rest.strip().splitlines()[-1] == line
    assert line.startswith("gatewatch aws-tunnels: interrupted (Ctrl-C); no further tunnel")
    # Nothing half-done beyond the tunnel already changing: tunnel 2 was never touched.
    assert [c.outside_ip for c in standin.modify_calls()] == [ip1]
    assert standin.log_options(vpn, ip2) != ENABLED_API
    assert max_both_down_seconds(standin) == 0.0


def aws_tunnels(*args: str, env: dict[str, str] | None = None
                ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gatewatch", "aws-tunnels", *args],
        capture_output=True, text=True, timeout=60, env=env or subprocess_env(),
    )


def test_maintenance_outside_the_window_defers_and_inside_applies(
        served: tuple[Ec2StandIn, str], run_cli: Callable[..., Any]) -> None:
    standin, url = served
    vpn = standin.add_connection()
    ip1, _ = standin.tunnel_ips(vpn)
    standin.schedule_maintenance(vpn, ip1)
    hour = time.gmtime().tm_hour
    closed = f"{(hour + 3) % 24:02d}:00-{(hour + 5) % 24:02d}:00"
    common = ["--region", "us-east-1", "--endpoint-url", url, "--poll", POLL, "--timeout", "20",
              "--journal-group-arn", ARN]

    status = run_cli("status", *common[:4], vpn)
    assert "maintenance=PENDING(" in status.stdout and "auto-applied-after=" in status.stdout

    later = run_cli("maintenance", *common, "--window", closed, vpn)
    assert later.returncode == 0, later.stderr
    assert "deferred 1" in later.stdout and "failed 0" in later.stdout
    assert standin.modify_calls(vpn, action="ReplaceVpnTunnel") == []

    now = run_cli("maintenance", *common, vpn)
    assert now.returncode == 0, now.stderr
    assert "maintained 1, skipped 1, failed 0" in now.stdout
    assert standin.pending_maintenance(vpn, ip1) is None
    assert max_both_down_seconds(standin) == 0.0


def test_an_endpoint_that_is_not_ec2_gives_every_connection_a_row_and_one_short_error(
        run_cli: Callable[..., Any]) -> None:
    import http.server
    import threading

    class Html(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = b"<!DOCTYPE html><html><body>" + b"<p>welcome</p>" * 500 + b"</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Html)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    vpns = ["vpn-0123456789abcdef0", "vpn-0123456789abcdef1"]
    try:
        done = run_cli("apply", "--region", "us-east-1", "--endpoint-url",
                       f"http://127.0.0.1:{server.server_address[1]}",
                       "--log-group-arn", ARN, *vpns)
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 1
    rows = [line for line in done.stdout.splitlines() if line.startswith("vpn-")]
    assert [row.split()[0] for row in rows] == vpns and all("failed" in r for r in rows)
    assert "failed 2" in done.stdout
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1  # the up-front read failed for both: said once
    assert "not an EC2 endpoint" in errors[0]
    assert all(len(line) < 400 and "<p>" not in line for line in errors)
    assert "Traceback" not in done.stderr


def test_missing_credentials_say_what_to_set(tmp_path: object) -> None:
    env = {k: v for k, v in subprocess_env().items() if not k.startswith("AWS_ACCESS")
           and not k.startswith("AWS_SECRET") and k != "AWS_SESSION_TOKEN"}
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    done = aws_tunnels("status", "--region", "us-east-1", "--endpoint-url",
                       "http://127.0.0.1:9", "vpn-0123456789abcdef0", env=env)
    assert done.returncode == 2
    assert "AWS_PROFILE" in done.stderr and "AWS_ACCESS_KEY_ID" in done.stderr
    assert done.stderr.count("\n") == 1


def test_progress_lines_keep_one_clock_per_connection(served: tuple[Ec2StandIn, str],
                                                      run_cli: Callable[..., Any]) -> None:
    standin, url = served
    vpn = standin.add_connection()
    done = run_cli("apply", "--region", "us-east-1", "--endpoint-url", url,
                   "--log-group-arn", ARN, "--poll", POLL, "--timeout", "20", vpn)
    assert done.returncode == 0, done.stderr
    stamps = [float(line[1:line.index("s]")]) for line in done.stderr.splitlines()
              if line.startswith("[")]
    assert len(stamps) > 4 and stamps == sorted(stamps)
    assert stamps[-1] >= 2 * FAST.outage_seconds  # counts across both tunnels, never resets


def test_tunnel_logs_still_works_as_the_old_name(served: tuple[Ec2StandIn, str]) -> None:
    standin, url = served
    vpn = standin.add_connection()
    status = tunnel_logs("status", "--region", "us-east-1", "--endpoint-url", url, vpn)
    assert status.returncode == 0 and "lifecycle-control=off" in status.stdout
