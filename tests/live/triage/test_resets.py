"""`gatewatch triage` names a gateway reset from the Azure Activity log (read through
azure-mgmt-monitor's `activity_logs.list` from the ARM stand-in) as a failover's cause."""

from __future__ import annotations

import datetime as dt

import pytest

from gatewatch.live.triage.model import iso
from gatewatch.live.triage.resets import RESET_OPERATION
from tests.support.live_world import GW_ID, SUB, World
from tests.support.triage import one_drop, run_triage
from tests.support.triage_scenarios import (
    RESET_BY,
    SCENARIOS,
    Scene,
    build,
    build_with,
    primary_changed,
)

ACTIVITY_PATH = f"/subscriptions/{SUB}/providers/microsoft.insights/eventtypes/management/values"
OTHER_GW = GW_ID.replace("vpngw-hub-01", "vpngw-spoke-02")
FAILOVER_LABEL = "Gateway failover (cause: planned maintenance or a reset)"


@pytest.fixture
def estate(estate: World) -> World:
    return estate.healthy()


def test_a_reset_before_a_failover_is_named_with_who_and_when(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    scene = build(estate, "gateway-reset")
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    drop = one_drop(result)
    assert (drop["verdict"], drop["label"]) == ("gateway-reset", "Gateway reset")
    started = iso(scene.t0 - dt.timedelta(seconds=90))
    assert drop["why"] == (
        "Azure end: back on the other instance (IN_1) after 8 s, within the alert's 60 s "
        f'FailoverSeconds; "Gateway reset of vpngw-hub-01 by {RESET_BY} (Started, Accepted, '
        f'Succeeded)" 90 s before the drop ({started}, Azure Activity log), within 10 min '
        "before it; no maintenance record within the alert's 3600 s MaintenanceSeconds "
        "(Microsoft: a gateway reset fails over)")
    (reset,) = [e for e in drop["evidence"] if e["kind"] == "reset"]
    assert (reset["time"], reset["source"], reset["lane"]) == (
        started, "Azure Activity log", "Azure VPNGW-HUB-01")
    assert "ask the caller named in the evidence" in drop["next_step"]
    # the AWS end took the Azure end's verdict: one outage, both ends
    assert {side["verdict"] for side in drop["sides"]} == {"gateway-reset"}
    # one read of the gateway's own Activity log, from the evidence window before the range
    assert len(estate.azure.activity.filters) == 1
    (asked,) = estate.azure.activity.filters
    start = result["from"]
    ge = iso(dt.datetime.fromisoformat(start.replace("Z", "+00:00"))
             - dt.timedelta(minutes=10))
    assert asked == (f"eventTimestamp ge '{ge}' and eventTimestamp le '{result['to']}' and "
                     f"resourceUri eq '{GW_ID}'")
    assert f"Azure Activity log ({RESET_OPERATION}) for {GW_ID}" in result["sources"]


def test_the_text_report_names_the_reset(estate: World,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    scene = build(estate, "gateway-reset")
    code, text, err = run_triage(estate, capsys, json_out=False)
    assert code == 0, err
    assert f"Drop 1: {iso(scene.t0)} Gateway reset; back " in text
    assert (f"    evidence: {iso(scene.t0 - dt.timedelta(seconds=90))} Azure VPNGW-HUB-01: "
            f"Gateway reset of vpngw-hub-01 by {RESET_BY} (Started, Accepted, Succeeded) "
            "[Azure Activity log]") in text
    # on the timeline with its own mark, as maintenance (M) and Health (H) have theirs
    assert (f"{iso(scene.t0 - dt.timedelta(seconds=90))} R {'Azure VPNGW-HUB-01':<40} "
            f"{'reset':<11} Gateway reset of vpngw-hub-01 by {RESET_BY}") in text


def test_a_failover_without_a_reset_keeps_its_cause_open(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    build(estate, "primary-changed")
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    drop = one_drop(result)
    assert (drop["verdict"], drop["label"]) == ("gateway-failover", FAILOVER_LABEL)
    assert len(estate.azure.activity.filters) == 1  # it was looked for, and not found


def test_maintenance_wins_over_a_reset_and_names_it(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    def both(c: Scene) -> None:
        c.reset(-120, RESET_BY)
        SCENARIOS["maintenance-failover"][0](c)
    build_with(estate, both)
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    drop = one_drop(result)
    assert drop["verdict"] == "gateway-failover-maintenance"
    assert drop["why"].endswith(
        f'a maintenance record wins over "Gateway reset of vpngw-hub-01 by {RESET_BY} '
        '(Started, Accepted, Succeeded)" 2 min before the drop')
    assert [e["kind"] for e in drop["evidence"]][:2] == ["maintenance", "reset"]


@pytest.mark.parametrize("where", ["another gateway", "11 min before", "failed",
                                   "another operation"])
def test_a_reset_that_does_not_explain_the_drop(
        estate: World, capsys: pytest.CaptureFixture[str], where: str) -> None:
    def scene(c: Scene) -> None:
        if where == "another gateway":
            c.reset(-90, RESET_BY, gateway_id=OTHER_GW)
        elif where == "11 min before":
            c.reset(-660, RESET_BY)
        elif where == "another operation":
            c.w.azure.activity.operation("Microsoft.Network/virtualNetworkGateways/write",
                                         c.t0 - dt.timedelta(seconds=90), GW_ID, RESET_BY)
        else:
            c.reset(-90, RESET_BY, statuses=("Started", "Failed"))
        primary_changed(c)
    build_with(estate, scene)
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    assert one_drop(result)["verdict"] == "gateway-failover"
    shown = [e for e in result["events"] if e["source"] == "Azure Activity log"]
    if where in ("another gateway", "another operation"):
        # the gateway's own Activity log was read, not the subscription's; resets only
        assert shown == []
    elif where == "failed":
        assert [(e["kind"], e["text"]) for e in shown] == [
            ("log", f"Gateway reset of vpngw-hub-01 by {RESET_BY} (Started, Failed): failed, "
                    "nothing reset")]
    else:
        assert [e["kind"] for e in shown] == ["reset"]


def test_every_page_is_read(estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    """Other operations on the gateway come first; the reset is on the third page."""
    scene = build(estate, "gateway-reset")
    for i in range(5):
        estate.azure.activity.operation(
            "Microsoft.Network/virtualNetworkGateways/write",
            scene.t0 - dt.timedelta(seconds=500 - i), GW_ID, "bob@contoso.com",
            ("Started",))
    estate.azure.activity.page_size = 2
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    assert one_drop(result)["verdict"] == "gateway-reset"
    assert [e["text"] for e in result["events"] if e["source"] == "Azure Activity log"] == [
        f"Gateway reset of vpngw-hub-01 by {RESET_BY} (Started, Accepted, Succeeded)"]
    pages = [p for m, p in estate.azure.requests if p.lower() == ACTIVITY_PATH]
    assert len(pages) == 4  # 8 events, 2 a page


def test_activity_log_refused_is_a_named_finding_and_the_rest_is_judged(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    build(estate, "gateway-reset")
    estate.azure.forbidden.add(ACTIVITY_PATH)
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    assert ("Activity log not read (refused the read (403 AuthorizationFailed)): a gateway "
            "reset cannot be named, so a failover without a maintenance record stays \"cause: "
            "planned maintenance or a reset\"; the signed-in identity needs Microsoft.Insights/"
            "eventtypes/values/read in the gateway's subscription (Reader or Monitoring Reader "
            "have it; `az login` as one that has it)") in result["notes"]
    drop = one_drop(result)
    assert (drop["verdict"], drop["label"]) == ("gateway-failover", FAILOVER_LABEL)
    assert not [n for n in result["notes"] if n.startswith(("ARM", "Log Analytics"))]


def test_no_drop_no_activity_log_read(estate: World,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    def quiet(c: Scene) -> None:
        c.reset(-90, RESET_BY)
        c.aws_log(-600, "AWS tunnel is sending DPD request")
    build_with(estate, quiet)
    code, result, err = run_triage(estate, capsys)
    assert code == 0, err
    assert result["drops"] == [] and estate.azure.activity.filters == []
