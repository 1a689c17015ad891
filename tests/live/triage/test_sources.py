"""`gatewatch triage` with one source dead, hanging, failing or empty: the timeline from the
others, one note per missing source saying which verdicts it takes away (never a lost report).
The failures are real sockets and real 5xx answers of the stand-ins (tests/support/standins/
faults.py), met by the product's real clients."""

from __future__ import annotations

import time
from typing import Any

import pytest

from gatewatch.live.sources import AWS_READ_TIMEOUT
from tests.support.live_world import REGION, VPN, World
from tests.support.standins.faults import refused_port, silent_port
from tests.support.triage import run_triage
from tests.support.triage_scenarios import SCENARIOS, build

HEALTH_LIMIT = ("an AWS endpoint replacement announced by AWS Health cannot be recognised "
                "(only the tunnel's last replacement, from EC2, is)")


@pytest.fixture
def estate(estate: World) -> World:
    return estate.healthy()


def _notes(result: dict[str, object]) -> list[str]:
    notes = result["notes"]
    assert isinstance(notes, list)
    return notes


def _triage_with_health_at(url: str, estate: World, capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch, json_out: bool = True
                           ) -> tuple[int, Any, str, float]:
    """Triage with AWS_ENDPOINT_URL_HEALTH at `url`; the exit code, output, stderr, seconds."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_HEALTH", url)
    began = time.monotonic()
    code, result, err = run_triage(estate, capsys, json_out=json_out)
    return code, result, err, time.monotonic() - began


def test_health_refused_is_a_note_and_the_timeline_is_built_without_it(
        estate: World, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    build(estate, "endpoint-replacement")
    with refused_port() as url:
        code, result, err, _ = _triage_with_health_at(url, estate, capsys, monkeypatch)
    assert code == 0, err
    assert err == ""
    assert f"AWS Health not read (connection refused to {url}/): {HEALTH_LIMIT}" in \
        _notes(result)
    # the drop (both ends) is still there, judged from the rest: without Health the
    # replacement is not recognised (the note says so), the tunnel came back on the same
    # instance
    assert [(sorted(d["clouds"]), d["verdict"]) for d in result["drops"]] == [
        (["aws", "azure"], "same-instance-reconnect")]
    assert {e["cloud"] for e in result["events"]} == {"azure", "aws"}
    assert any(f"{VPN} tunnel" in n and "now" in n for n in _notes(result))


def test_health_hanging_is_a_note_within_seconds(
        estate: World, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    build(estate, "same-instance")
    with silent_port() as url:
        code, text, err, elapsed = _triage_with_health_at(url, estate, capsys, monkeypatch,
                                                          json_out=False)
    assert code == 0, err
    # two attempts of AWS_READ_TIMEOUT (5 s) each, plus the rest of the run
    assert elapsed < 15, elapsed
    assert (f"note: AWS Health not read (no answer within {AWS_READ_TIMEOUT} s from {url}/): "
            f"{HEALTH_LIMIT}") in text
    assert text.startswith(f"Tunnel {estate.tunnel_ips()[0]}, ")
    # one outage seen from both ends is one drop
    assert "Drop 1:" in text and "Drop 2:" not in text
    assert "Same-instance reconnect" in text


def test_health_503_is_a_note(estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    build(estate, "same-instance")
    estate.health.unavailable = True
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    assert ("AWS Health not read (answered DescribeEvents with 503 "
            f"ServiceUnavailableException): {HEALTH_LIMIT}") in _notes(result)
    assert [(d["clouds"], d["verdict"]) for d in result["drops"]] == [
        (["azure", "aws"], SCENARIOS["same-instance"][1].verdict)]
    # one retry, then the source is given up on
    assert estate.health.calls.count("AWSHealth_20160804.DescribeEvents") == 2


def test_log_analytics_unreachable_keeps_the_aws_side(
        estate: World, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    build(estate, "same-instance")
    with refused_port("https") as url:
        monkeypatch.setenv("GATEWATCH_LOGS_ENDPOINT", url)
        code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    assert (f"Log Analytics not read (connection refused to {url}): no Azure events: Azure "
            "drops, gateway failover and maintenance, Azure IKE and BGP records cannot be "
            "seen") in _notes(result)
    assert [d["clouds"] for d in result["drops"]] == [["aws"]]  # one end: still its drop
    assert {e["cloud"] for e in result["events"]} == {"aws"}
    assert estate.azure.queries == []


def test_missing_log_group_on_an_aws_only_stack_is_a_note(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    """The AWS-only stack whose log group is gone (never deployed, or torn down): the note
    says to deploy; the rest of the timeline (Health, the tunnel's state) is still there."""
    build(estate, "endpoint-replacement")
    text = estate.config_file.read_text(encoding="utf-8")
    estate.config_file.write_text(text[:text.index("  gatewatch:azure:")]
                                  + text[text.index("  gatewatch:aws:"):], encoding="utf-8")
    estate.boto("logs").delete_log_group(logGroupName=estate.log_group)
    code, out, err = run_triage(estate, capsys, json_out=False)
    assert code == 0, err
    assert err == "" and "ResourceNotFoundException" not in out
    assert (f"note: AWS: log group {estate.log_group} does not exist: run `pulumi up --stack "
            "live` (it creates the group and turns tunnel logging on); no AWS tunnel-log "
            "events, so AWS drops cannot be seen") in out
    assert "AWS_VPN_TUNNEL_ENDPOINT_REPLACEMENT (scheduledChange)" in out  # Health still read
    assert "No drops in this range." in out
    assert f"note: AWS: {VPN} tunnel {estate.tunnel_ips()[0]} is UP now" in out
    assert REGION in estate.config_file.read_text() and "azure" not in \
        estate.config_file.read_text()
