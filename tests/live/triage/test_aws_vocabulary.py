"""Every state and message of AWS's tunnel-log vocabulary replayed through `gatewatch triage`
(the stand-ins, the real clients): each documented message gives its verdict, a rekey or a
negotiation is no drop, and AWS's capitalised states work ("Contents of Site-to-Site VPN logs",
https://docs.aws.amazon.com/vpn/latest/s2svpn/log-contents.html)."""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any

import pytest

from gatewatch.aws import tunnel_log_vocabulary as vocabulary
from gatewatch.cli import main
from tests.support.live_world import World
from tests.support.triage_scenarios import (
    build_with,
    capitalised_drop,
    documented_message,
    documented_message_while_up,
    rekey,
)

# The verdict each class must give, written out (not read from the code under test).
EXPECTED = {
    vocabulary.DPD_TIMEOUT: "dpd-timeout",
    vocabulary.PEER_DELETE: "peer-delete",
    vocabulary.IKE_PSK: "ike-psk-mismatch",
    vocabulary.IKE_PROPOSAL: "ike-proposal-mismatch",
    vocabulary.IKE_TRAFFIC_SELECTOR: "ike-traffic-selector-mismatch",
    vocabulary.IKE_AUTH: "ike-authentication-failed",
    vocabulary.IKE_PHASE2: "ike-phase2-failure",
    vocabulary.IKE_TIMEOUT: "ike-phase1-timeout",
    # a routine message names no cause: the Down state beside it is a drop without one
    vocabulary.ROUTINE: "reconnected",
}


@pytest.fixture
def estate(estate: World) -> World:
    return estate.healthy()


def aws_drops(w: World, capsys: pytest.CaptureFixture[str]) -> tuple[list[dict[str, Any]],
                                                                      dict[str, Any]]:
    start = (w.now - dt.timedelta(hours=2, minutes=30)).isoformat()
    end = (w.now - dt.timedelta(minutes=30)).isoformat()
    code = main(["triage", "--config-file", str(w.config_file), "--remote-ip",
                 w.tunnel_ips()[0], "--from", start, "--to", end, "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    result = json.loads(out.out)
    return [d for d in result["drops"] if "aws" in d["clouds"]], result


def test_every_class_has_its_expected_verdict() -> None:
    assert {m.cls for m in vocabulary.MESSAGES} == set(EXPECTED)


@pytest.mark.parametrize("message", vocabulary.MESSAGES, ids=lambda m: m.fixed[:40])
def test_each_documented_message_gives_its_verdict(
        estate: World, capsys: pytest.CaptureFixture[str], message: vocabulary.Message) -> None:
    build_with(estate, functools.partial(documented_message, message.text))
    drops, _ = aws_drops(estate, capsys)
    assert len(drops) == 1, drops
    (drop,) = drops
    assert drop["verdict"] == EXPECTED[message.cls]
    assert not drop["still_down"] and drop["down_seconds"] == 60
    if message.cls != vocabulary.ROUTINE:
        assert any(message.fixed in e["text"] for e in drop["evidence"]), drop["evidence"]


@pytest.mark.parametrize("message", vocabulary.MESSAGES, ids=lambda m: m.fixed[:40])
def test_a_dpd_timeout_or_delete_is_a_drop_even_with_established_states(
        estate: World, capsys: pytest.CaptureFixture[str], message: vocabulary.Message) -> None:
    build_with(estate, functools.partial(documented_message_while_up, message.text))
    drops, _ = aws_drops(estate, capsys)
    if message.cls in (vocabulary.DPD_TIMEOUT, vocabulary.PEER_DELETE):
        assert [d["verdict"] for d in drops] == [EXPECTED[message.cls]]
        assert drops[0]["down_seconds"] == 60
    else:  # an IKE failure or a routine message while Established is not a drop by itself
        assert drops == []


def test_rekeying_and_negotiating_are_not_drops(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    build_with(estate, rekey)
    drops, result = aws_drops(estate, capsys)
    assert drops == []
    aws_kinds = {e["kind"] for e in result["events"] if e["cloud"] == "aws"}
    assert aws_kinds <= {"log", "bgp", "health"}, aws_kinds


def test_capitalised_states_make_one_drop_that_comes_back(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    build_with(estate, capitalised_drop)
    drops, _ = aws_drops(estate, capsys)
    assert len(drops) == 1, drops
    assert drops[0]["down_seconds"] == 90 and not drops[0]["still_down"]
