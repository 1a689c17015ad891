"""The rollout journal (gatewatch/aws_rollout/journal.py, inflight.py) on the EC2 stand-in in
simulated time, with CloudWatch Logs on moto: a kill right after the first change followed by
an immediate rerun, and two overlapping runs on the same connections, while EC2's `modifying`
State and IncorrectState end long before the tunnel is back and the telemetry lags. Every case
ends with 0 double-down seconds on the stand-in's timeline and every tunnel configured.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from gatewatch.aws_rollout.clock import SimClock
from gatewatch.aws_rollout.journal import STREAM, JournalRecord, JournalSpec, JournalUnavailable
from gatewatch.aws_rollout.results import ProgressEvent, RolloutResult
from tests.support.aws_rollout import (
    ENABLED_API,
    REGION,
    World,
    make_world,
    max_both_down_seconds,
)
from tests.support.standins.ec2_model import StandInSettings

# IncorrectState and `modifying` last 3 s; the tunnel is DOWN from 5 s to 305 s after the call
# and the telemetry shows it 30 s late: nothing EC2 answers right after the call says "in flight".
ENDS_BEFORE = StandInSettings(modify_seconds=3.0, modifying_seconds=3.0, telemetry_lag=30.0)
# `modifying` outlasts the tunnel's return (IncorrectState still ends after 3 s).
ENDS_AFTER = StandInSettings(modify_seconds=3.0, modifying_seconds=400.0, telemetry_lag=30.0)
WINDOWS = pytest.mark.parametrize("settings", [ENDS_BEFORE, ENDS_AFTER],
                                  ids=["modifying-ends-before-the-tunnel", "modifying-outlasts-it"])


class Killed(BaseException):
    """Stands for the process being killed at a given point of the rollout."""


def _kill_after_first_change(event: ProgressEvent) -> None:
    if event.phase == "modify" and "accepted" in event.message:
        raise Killed


def _all_configured(world: World, vpns: list[str]) -> None:
    for vpn in vpns:
        for ip in world.standin.tunnel_ips(vpn):
            assert world.standin.log_options(vpn, ip) == ENABLED_API, (vpn, ip)


def _journal_lines(world: World) -> list[str]:
    return [e.message for e in world.events if "rollout journal" in e.message]


class _HandOff:
    """The clock of a run started from inside the simulation: one participant slot is reserved
    for its thread at once and handed back when its engine reserves its workers, so simulated
    time cannot jump while the run is still starting."""

    def __init__(self, clock: SimClock) -> None:
        self.clock, self.held = clock, True
        clock.reserve(1)

    def now(self) -> float:
        return self.clock.now()

    def sleep(self, seconds: float) -> None:
        self.clock.sleep(seconds)

    def reserve(self, count: int) -> None:
        self.clock.reserve(count)
        self.drop()

    def release(self) -> None:
        self.clock.release()

    def drop(self) -> None:
        if self.held:
            self.held = False
            self.clock.release()


def _start_run(world: World, vpns: list[str], results: dict[str, Any], name: str,
               seed: int) -> threading.Thread:
    clock = _HandOff(world.clock)

    def body() -> None:
        try:
            results[name] = world.engine(clock=clock, seed=seed).run(vpns)
        except BaseException as exc:  # the test asserts on it
            results[name] = exc
        finally:
            clock.drop()

    thread = threading.Thread(target=body, name=name)
    thread.start()
    return thread


@WINDOWS
def test_a_rerun_right_after_a_kill_waits_for_the_journaled_change(
        settings: StandInSettings, moto_url: str) -> None:
    world = make_world(settings, journal_url=moto_url)
    vpns = [world.standin.add_connection() for _ in range(3)]
    with pytest.raises(Killed):
        world.run(vpns, progress=_kill_after_first_change)
    first = world.standin.modify_calls()
    assert first, "the kill came after a change"
    world.standin.inject_errors("DescribeVpnConnections", "RequestLimitExceeded", 2)

    result = world.run(vpns)  # at once: the telemetry still says the changed tunnel is UP

    assert result.ok, result.errors
    assert max_both_down_seconds(world.standin) == 0.0
    _all_configured(world, vpns)
    waited = _journal_lines(world)
    assert any(f"tunnel 1 ({first[0].outside_ip}) was changed by run " in m for m in waited), \
        waited


def test_without_the_journal_the_same_rerun_takes_both_tunnels_down() -> None:
    """The simulator reproduces what the journal prevents (so the tests above can fail)."""
    world = make_world(ENDS_BEFORE)
    vpn = world.standin.add_connection()
    with pytest.raises(Killed):
        world.run([vpn], progress=_kill_after_first_change)
    assert world.run([vpn]).ok
    assert max_both_down_seconds(world.standin) > 200.0


def test_a_tunnel_that_never_returns_stops_the_rerun_in_one_line(moto_url: str) -> None:
    world = make_world(ENDS_BEFORE, journal_url=moto_url)
    vpn = world.standin.add_connection()
    ip1, ip2 = world.standin.tunnel_ips(vpn)
    world.standin.break_tunnel(vpn, ip1)
    with pytest.raises(Killed):
        world.run([vpn], progress=_kill_after_first_change)

    result = world.run([vpn], timeout=600.0)

    [error] = result.errors
    assert "\n" not in error
    assert f"{vpn} tunnel 1 ({ip1}) was not UP after the change journaled at " in error
    assert f"tunnel 2 ({ip2}) was not touched" in error
    assert [c.outside_ip for c in world.standin.modify_calls()] == [ip1]
    assert max_both_down_seconds(world.standin) == 0.0


@WINDOWS
def test_a_second_run_started_right_after_the_first_change_waits_for_it(
        settings: StandInSettings, moto_url: str) -> None:
    world = make_world(settings, journal_url=moto_url)
    vpns = [world.standin.add_connection() for _ in range(3)]
    results: dict[str, Any] = {}
    started: list[threading.Thread] = []

    def start_second(event: ProgressEvent) -> None:
        if event.phase == "modify" and "accepted" in event.message and not started:
            started.append(_start_run(world, vpns, results, "second", seed=11))

    first = world.run(vpns, progress=start_second)
    started[0].join(timeout=120)

    second = results["second"]
    assert isinstance(second, RolloutResult), second
    assert first.ok and second.ok, (first.errors, second.errors)
    assert max_both_down_seconds(world.standin) == 0.0
    _all_configured(world, vpns)
    assert _journal_lines(world)


def test_two_runs_started_at_once_never_take_both_tunnels_down(moto_url: str) -> None:
    world = make_world(ENDS_BEFORE, journal_url=moto_url)
    vpns = [world.standin.add_connection() for _ in range(4)]
    world.standin.inject_errors("ModifyVpnTunnelOptions", "RequestLimitExceeded", 3)
    results: dict[str, Any] = {}

    threads = [_start_run(world, vpns, results, name, seed)
               for name, seed in (("a", 5), ("b", 6))]
    for thread in threads:
        thread.join(timeout=120)

    for name in ("a", "b"):
        assert isinstance(results[name], RolloutResult), results[name]
        assert results[name].ok, results[name].errors
    assert max_both_down_seconds(world.standin) == 0.0
    _all_configured(world, vpns)


def test_the_record_is_written_before_the_call_and_read_back(moto_url: str) -> None:
    world = make_world(ENDS_BEFORE, journal_url=moto_url)
    vpn = world.standin.add_connection()
    ip1, ip2 = world.standin.tunnel_ips(vpn)
    assert world.run([vpn]).ok
    assert world.journal is not None
    events = world.logs.get_log_events(
        logGroupName=world.journal.group_name, logStreamName=STREAM,
        startFromHead=True)["events"]
    records = [r for e in events if (r := JournalRecord.parse(e["message"]))]
    assert [(r.vpn_connection_id, r.tunnel, r.outside_ip, r.kind) for r in records] == [
        (vpn, 1, ip1, "options"), (vpn, 2, ip2, "options")]
    calls = world.standin.modify_calls()
    assert all(r.at <= c.time for r, c in zip(records, calls, strict=True))
    assert len({r.run_id for r in records}) == 1
    assert "LogGroupArn" in records[0].change or "tunnel logs" in records[0].change


def test_without_a_usable_journal_nothing_is_touched(moto_url: str) -> None:
    world = make_world(ENDS_BEFORE, journal_url=moto_url)
    vpn = world.standin.add_connection()
    assert world.journal is not None
    world.journal = JournalSpec(world.journal.group_arn.replace("journal-", "missing-"), REGION,
                                moto_url)

    with pytest.raises(JournalUnavailable) as refused:
        world.run([vpn])

    assert "the rollout journal" in str(refused.value)
    assert "ResourceNotFoundException" in str(refused.value)
    assert world.standin.calls == []
