"""Alert queries executed over small AzureDiagnostics fixtures (duckdb-kql), compared with
what an operator reading the logs would conclude.

Times: rows are generated at T0 + offset and ingested ``LAG`` later (resource logs take
3-10 minutes). ``at()`` runs one evaluation of a rule as Log Analytics would at that moment:
only rows already ingested are visible. For tunnel-drop the drop at T0 (ingested T0+4m) is
evaluated at T0+10m: its ingestion slice is (now-10m, now-5m].
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from gatewatch.catalog.load import load
from gatewatch.catalog.model import LogSearchAlertRule, SavedQuery
from gatewatch.catalog.rules import projected_columns
from gatewatch.kql.execute import evaluation_times, load_fixture, run_query

T0 = dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.UTC)
LAG = dt.timedelta(minutes=4)
IN_0 = "GatewayTenantWorker_IN_0"
IN_1 = "GatewayTenantWorker_IN_1"
REMOTE = "203.0.113.10"
FIXTURES = Path(__file__).resolve().parents[1] / "support" / "fixtures" / "kql"

Row = dict[str, Any]


@pytest.fixture(scope="module")
def rules() -> dict[str, LogSearchAlertRule]:
    return {r.name: r for r in load(LogSearchAlertRule)}


def s(seconds: float) -> dt.timedelta:
    return dt.timedelta(seconds=seconds)


def m(minutes: float) -> dt.timedelta:
    return dt.timedelta(minutes=minutes)


def tunnel(op: str, offset: dt.timedelta, instance: str = IN_0, remote: str = REMOTE,
           gateway: str = "VPNGW01", lag: dt.timedelta = LAG) -> Row:
    return {"TimeGenerated": T0 + offset, "$IngestionTime": T0 + offset + lag,
            "Category": "TunnelDiagnosticLog", "OperationName": f"Tunnel{op}",
            "Resource": gateway, "ResourceGroup": "rg-net", "remoteIP_s": remote,
            "instance_s": instance, "Level": "Informational"}


def gateway_log(op: str, offset: dt.timedelta, gateway: str = "VPNGW01",
                category: str = "GatewayDiagnosticLog", lag: dt.timedelta = LAG) -> Row:
    return {"TimeGenerated": T0 + offset, "$IngestionTime": T0 + offset + lag,
            "Category": category, "OperationName": op, "Resource": gateway,
            "ResourceGroup": "rg-net", "Message": f"{op} on {gateway}"}


def maintenance(offset: dt.timedelta, gateway: str = "VPNGW01") -> Row:
    return gateway_log("HostMaintenanceEvent", offset, gateway)


def at(rule: LogSearchAlertRule, rows: list[Row], now: dt.datetime) -> list[Row]:
    return run_query(rule.query, {"AzureDiagnostics": rows}, now)


def drops(
    rules: dict[str, LogSearchAlertRule], rows: list[Row], now: dt.datetime | None = None
) -> list[Row]:
    now = T0 + m(10) if now is None else now
    result = at(rules["tunnel-drop"], rows, now)
    return sorted(result, key=lambda r: (r["Resource"], r["remoteIP_s"], r["DisconnectedAt"],
                                         r["instance_s"]))


def verdicts(result: list[Row]) -> list[tuple[str, str, str, str, bool]]:
    return [(r["Resource"], r["remoteIP_s"], r["instance_s"], r["Classification"],
             r["MaintenanceNearby"]) for r in result]


# ------------------------------------------------------------------------------ tunnel-drop


def test_failover_disconnect_in0_then_connect_in1_within_60s(
        rules: dict[str, LogSearchAlertRule]) -> None:
    result = drops(rules, [tunnel("Disconnected", s(0)), tunnel("Connected", s(20), IN_1)])
    assert verdicts(result) == [("VPNGW01", REMOTE, IN_0, "GatewayFailover", False)]
    assert result[0]["DisconnectedAt"] == T0


@pytest.mark.parametrize(("seconds", "expected"), [
    (60, "GatewayFailover"), (61, "OtherInstanceReconnect"), (90, "OtherInstanceReconnect"),
    (240, "OtherInstanceReconnect"),
])
def test_connect_on_other_instance_after_60s_is_a_slow_reconnect_not_still_down(
    rules: dict[str, LogSearchAlertRule], seconds: int, expected: str,
) -> None:
    """Active-standby failover that took longer than FailoverSeconds: the data shows the tunnel
    back on IN_1, so it is not StillDown; it is not a (fast) GatewayFailover either."""
    result = drops(rules, [tunnel("Disconnected", s(0)), tunnel("Connected", s(seconds), IN_1)])
    assert verdicts(result) == [("VPNGW01", REMOTE, IN_0, expected, False)]


def test_same_instance_reconnect(rules: dict[str, LogSearchAlertRule]) -> None:
    result = drops(rules, [tunnel("Disconnected", s(0)), tunnel("Connected", s(90))])
    assert verdicts(result) == [("VPNGW01", REMOTE, IN_0, "SameInstanceReconnect", False)]


def test_still_down_when_no_reconnect_is_in_the_data(rules: dict[str, LogSearchAlertRule]) -> None:
    result = drops(rules, [tunnel("Connected", -m(30)), tunnel("Connected", -m(30), IN_1),
                           tunnel("Disconnected", s(0))])
    assert verdicts(result) == [("VPNGW01", REMOTE, IN_0, "StillDown", False)]


def test_a_late_reconnect_the_rule_sees_is_not_still_down(
        rules: dict[str, LogSearchAlertRule]) -> None:
    """A drop ingested 9 minutes late is classified at T0+15m; by then the same instance's
    reconnect 12 minutes after the drop is in the data, so the tunnel is not StillDown."""
    rows = [tunnel("Disconnected", s(0), lag=m(9)), tunnel("Connected", m(12), lag=m(1))]
    assert drops(rules, rows, T0 + m(10)) == []
    assert verdicts(drops(rules, rows, T0 + m(15))) == [
        ("VPNGW01", REMOTE, IN_0, "SameInstanceReconnect", False)
    ]


@pytest.mark.parametrize(("same_at", "other_at", "expected"), [
    (m(2), m(3), "SameInstanceReconnect"),
    (m(3), m(2), "OtherInstanceReconnect"),
    (s(50), s(20), "SameInstanceReconnect"),  # same instance within 60 s wins (active-active)
])
def test_the_first_reconnect_after_failover_seconds_decides(
    rules: dict[str, LogSearchAlertRule], same_at: dt.timedelta, other_at: dt.timedelta,
    expected: str,
) -> None:
    rows = [tunnel("Disconnected", s(0)), tunnel("Connected", same_at),
            tunnel("Connected", other_at, IN_1)]
    assert verdicts(drops(rules, rows)) == [("VPNGW01", REMOTE, IN_0, expected, False)]


@pytest.mark.parametrize(
    ("maintenance_offset", "nearby"),
    [(-m(30), True), (m(3), True), (-m(59), True), (-m(70), False), (-m(120), False)],
)
def test_maintenance_within_an_hour_either_side(
    rules: dict[str, LogSearchAlertRule], maintenance_offset: dt.timedelta, nearby: bool
) -> None:
    rows = [maintenance(maintenance_offset), tunnel("Disconnected", s(0)),
            tunnel("Connected", s(15), IN_1)]
    assert verdicts(drops(rules, rows)) == [("VPNGW01", REMOTE, IN_0, "GatewayFailover", nearby)]


def test_maintenance_of_another_gateway_does_not_count(
        rules: dict[str, LogSearchAlertRule]) -> None:
    rows = [maintenance(-m(10), "VPNGW02"), tunnel("Disconnected", s(0))]
    assert verdicts(drops(rules, rows)) == [("VPNGW01", REMOTE, IN_0, "StillDown", False)]


def test_gateway_names_compare_case_insensitively(rules: dict[str, LogSearchAlertRule]) -> None:
    rows = [maintenance(-m(10), "vpngw01"), tunnel("Disconnected", s(0), gateway="VPNGW01"),
            tunnel("Connected", s(10), IN_1, gateway="VpnGw01")]
    assert verdicts(drops(rules, rows)) == [("VPNGW01", REMOTE, IN_0, "GatewayFailover", True)]


def test_one_row_per_drop_over_several_gateways_and_tunnels(
    rules: dict[str, LogSearchAlertRule],
) -> None:
    other, third = "198.51.100.20", "192.0.2.30"
    rows = [
        maintenance(-m(20), "VPNGW02"),
        tunnel("Disconnected", s(0)),                                    # GW01/REMOTE failover
        tunnel("Connected", s(8), IN_1),
        tunnel("Disconnected", s(30), remote=other),                     # GW01/other still down
        tunnel("Disconnected", s(0), remote=third),                      # GW01/third slow
        tunnel("Connected", m(2), IN_1, remote=third),                   # ...failover
        tunnel("Disconnected", s(5), gateway="VPNGW02"),                 # GW02 same-instance
        tunnel("Connected", m(2), gateway="VPNGW02"),
        tunnel("Disconnected", m(3), gateway="VPNGW02"),                 # ...and drops again
    ]
    # The second GW02 drop is ingested at T0+7m, so it belongs to the next evaluation.
    result = drops(rules, rows, T0 + m(10)) + drops(rules, rows, T0 + m(15))
    assert sorted(verdicts(result)) == [
        ("VPNGW01", "192.0.2.30", IN_0, "OtherInstanceReconnect", False),
        ("VPNGW01", other, IN_0, "StillDown", False),
        ("VPNGW01", REMOTE, IN_0, "GatewayFailover", False),
        ("VPNGW02", REMOTE, IN_0, "SameInstanceReconnect", True),
        ("VPNGW02", REMOTE, IN_0, "StillDown", True),
    ]


def test_active_active_drop_on_in0_while_in1_stays_up(rules: dict[str, LogSearchAlertRule]) -> None:
    """IN_1's tunnel to the same remote IP stays up and logs nothing: IN_0's drop is its own
    outage (traffic continues over IN_1), not a failover; IN_0 comes back on IN_0."""
    rows = [tunnel("Connected", -m(50), IN_0), tunnel("Connected", -m(50), IN_1),
            maintenance(-m(1)), tunnel("Disconnected", s(0), IN_0),
            tunnel("Connected", m(3), IN_0)]
    assert verdicts(drops(rules, rows)) == [
        ("VPNGW01", REMOTE, IN_0, "SameInstanceReconnect", True)
    ]


def test_active_active_both_tunnels_flap_together(rules: dict[str, LogSearchAlertRule]) -> None:
    """The on-premises device drops both tunnels; each comes back on its own instance. IN_1's
    connect within 60 s of IN_0's drop must not make IN_0's drop a failover."""
    rows = [tunnel("Disconnected", s(0), IN_0), tunnel("Disconnected", s(1), IN_1),
            tunnel("Connected", s(30), IN_1), tunnel("Connected", s(35), IN_0)]
    assert verdicts(drops(rules, rows)) == [
        ("VPNGW01", REMOTE, IN_0, "SameInstanceReconnect", False),
        ("VPNGW01", REMOTE, IN_1, "SameInstanceReconnect", False),
    ]


@pytest.mark.parametrize("connect_at", [s(20), s(90), m(4)])
def test_active_active_other_instance_own_reconnect_is_not_a_reconnect_of_this_drop(
    rules: dict[str, LogSearchAlertRule], connect_at: dt.timedelta,
) -> None:
    """IN_1 dropped the same remote IP around the same time; its connect, fast or slow, is
    IN_1's own tunnel coming back: IN_0's tunnel has not come back (StillDown), and IN_1's
    drop is a SameInstanceReconnect."""
    rows = [tunnel("Disconnected", -s(10), IN_1), tunnel("Disconnected", s(0), IN_0),
            tunnel("Connected", connect_at, IN_1)]
    assert sorted(verdicts(drops(rules, rows))) == [
        ("VPNGW01", REMOTE, IN_0, "StillDown", False),
        ("VPNGW01", REMOTE, IN_1, "SameInstanceReconnect", False),
    ]


def test_active_active_other_instance_dropping_after_ours_keeps_its_reconnect(
    rules: dict[str, LogSearchAlertRule],
) -> None:
    """IN_1 drops 30 s after IN_0 and comes back 2 minutes later: that connect follows IN_1's
    own drop, so it says nothing about IN_0's tunnel."""
    rows = [tunnel("Disconnected", s(0), IN_0), tunnel("Disconnected", s(30), IN_1),
            tunnel("Connected", m(2), IN_1)]
    result = [v for v in verdicts(drops(rules, rows)) if v[2] == IN_0]
    assert result == [("VPNGW01", REMOTE, IN_0, "StillDown", False)]


def test_an_old_drop_of_the_other_instance_does_not_hide_a_failover(
    rules: dict[str, LogSearchAlertRule],
) -> None:
    """Active-standby: IN_1 handed the tunnel to IN_0 twenty minutes ago; now IN_0 drops and
    IN_1 takes over within 60 s. IN_1's old drop is not "around the same time"."""
    rows = [tunnel("Disconnected", -m(20), IN_1, lag=s(30)),
            tunnel("Connected", -m(20), IN_0, lag=s(30)),
            tunnel("Disconnected", s(0), IN_0), tunnel("Connected", s(25), IN_1)]
    assert verdicts(drops(rules, rows)) == [("VPNGW01", REMOTE, IN_0, "GatewayFailover", False)]


def test_a_late_drop_is_reported_exactly_once(rules: dict[str, LogSearchAlertRule]) -> None:
    """Evaluated every 5 minutes, a drop ingested 9 minutes late shows up in one evaluation
    only: no miss, no three mails from overlapping windows."""
    rule = rules["tunnel-drop"]
    rows = [tunnel("Disconnected", s(0), lag=m(9)), tunnel("Connected", s(12), IN_1, lag=m(9))]
    seen = []
    for now in evaluation_times(T0 - m(5), T0 + m(60), rule.evaluation_interval):
        result = at(rule, rows, now)
        seen += [(now, r["Classification"]) for r in result]
    assert [c for _, c in seen] == ["GatewayFailover"]


def test_tunnel_drop_projects_the_dimensions(rules: dict[str, LogSearchAlertRule]) -> None:
    (row,) = drops(rules, [tunnel("Disconnected", s(0))])
    for column in (*rules["tunnel-drop"].dimensions, "DisconnectedAt", "Classification",
                   "MaintenanceNearby", "instance_s"):
        assert column in row


# ---------------------------------------------------------- maintenance, BGP, IKE, all rules


def test_gateway_maintenance_reports_a_late_row_once(rules: dict[str, LogSearchAlertRule]) -> None:
    rule = rules["gateway-maintenance"]
    rows = [maintenance(s(0)) | {"$IngestionTime": T0 + m(8)},
            gateway_log("SetGatewayConfiguration", s(30))]
    hits = []
    for now in evaluation_times(T0, T0 + m(60), rule.evaluation_interval):
        hits += [(now, r["Resource"], r["OperationName"]) for r in at(rule, rows, now)]
    assert hits == [(T0 + m(10), "VPNGW01", "HostMaintenanceEvent")]


def test_bgp_peer_drop_reports_disconnects_only(rules: dict[str, LogSearchAlertRule]) -> None:
    rows = [gateway_log("BgpDisconnectedEvent", s(0), category="RouteDiagnosticLog"),
            gateway_log("BgpConnectedEvent", s(40), category="RouteDiagnosticLog"),
            gateway_log("BgpRouteUpdate", s(50), category="RouteDiagnosticLog")]
    result = at(rules["bgp-peer-drop"], rows, T0 + m(5))
    assert [(r["Resource"], r["OperationName"]) for r in result] == [
        ("VPNGW01", "BgpDisconnectedEvent")
    ]


def test_ike_failures_are_parsed_and_counted_per_device(
        rules: dict[str, LogSearchAlertRule]) -> None:
    rows = load_fixture(FIXTURES / "ike.yaml")
    result = run_query(rules["ike-negotiation-failure"].query, rows, T0 + m(5))
    assert len(result) == 1, result
    (row,) = result
    assert (row["Resource"], row["RemoteIP"], row["LocalIP"], row["Failures"]) == (
        "VPNGW01", "203.0.113.10", "198.51.100.5", 4)
    assert row["SampleEvent"].startswith("[RECEIVED] Received notify NO_PROPOSAL_CHOSEN")


def shared_fixture() -> dict[str, list[Row]]:
    """One workspace with something for every rule and saved query to find."""
    from tests.catalog.test_vm_scheduled_event_query import REDEPLOY, event

    ike = load_fixture(FIXTURES / "ike.yaml")["AzureDiagnostics"]
    scheduled = event("vm-app-01", REDEPLOY) | {"TimeGenerated": T0 + m(8),
                                                "$IngestionTime": T0 + m(9)}
    return {
        "AzureDiagnostics": [
            tunnel("Disconnected", s(0)), tunnel("Connected", s(20), IN_1),
            maintenance(m(2)),
            gateway_log("BgpDisconnectedEvent", m(3), category="RouteDiagnosticLog"),
            gateway_log("P2SLogEvent", m(1), category="P2SDiagnosticLog"),
            *ike,
        ],
        "Event": [scheduled],
    }


# Each rule's evaluation moment over the shared fixture, and the rows it must return there.
EVALUATIONS = {
    "bgp-peer-drop": (m(10), 1),
    "gateway-maintenance": (m(10), 1),
    "ike-negotiation-failure": (m(5), 1),
    "tunnel-drop": (m(10), 1),
    "vm-scheduled-event": (m(10), 1),
}
SAVED_QUERY_ROWS = {
    "gateway-diagnostic-log": 1, "ike-parse": 6, "maintenance-by-gateway": 1, "p2s-log": 1,
    "route-bgp-history": 1, "tunnel-history": 2,
    "diagnostics-freshness": 5,  # one row per category the fixture holds (5 of 5)
}


def test_every_alert_returns_its_projected_columns_over_a_shared_fixture(
    rules: dict[str, LogSearchAlertRule],
) -> None:
    assert set(EVALUATIONS) == set(rules), "give every rule an evaluation over the fixture"
    data = shared_fixture()
    for name, (offset, count) in EVALUATIONS.items():
        rule = rules[name]
        result = run_query(rule.query, data, T0 + offset)
        assert len(result) == count, (name, result)
        assert tuple(result[0]) == projected_columns(rule.query), name
        for row in result:
            for dimension in rule.dimensions:
                assert row[dimension] not in (None, ""), (name, dimension)
    (drop,) = run_query(rules["tunnel-drop"].query, data, T0 + m(10))
    assert (drop["Classification"], drop["MaintenanceNearby"]) == ("GatewayFailover", True)
    (vm,) = run_query(rules["vm-scheduled-event"].query, data, T0 + m(10))
    assert (vm["Computer"], vm["EventType"]) == ("VM-APP-01", "Redeploy")


def test_every_saved_query_returns_its_projected_columns_over_a_shared_fixture() -> None:
    queries = load(SavedQuery)
    assert {q.name for q in queries} == set(SAVED_QUERY_ROWS)
    data = shared_fixture()
    for query in queries:
        result = run_query(query.body, data, T0 + m(10))
        assert len(result) == SAVED_QUERY_ROWS[query.name], (query.name, result)
        (project,) = re.findall(r"^\| project (.+)$", query.body, re.MULTILINE)
        assert list(result[0]) == [c.strip() for c in project.split(",")], query.name


def test_every_classification_is_explained_in_description_and_tuning(
    rules: dict[str, LogSearchAlertRule],
) -> None:
    rule = rules["tunnel-drop"]
    case = rule.query[rule.query.index("case("):rule.query.index("join kind=leftouter Maint")]
    classes = set(re.findall(r'"([A-Za-z]+)"', case))
    assert classes == {"SameInstanceReconnect", "GatewayFailover", "OtherInstanceReconnect",
                       "StillDown"}
    for name in classes:
        assert name in rule.description and name in rule.tuning, name


def test_maintenance_saved_query_filters_by_gateway_and_window() -> None:
    (query,) = [q for q in load(SavedQuery) if q.name == "maintenance-by-gateway"]
    body = (query.body.replace('let GatewayName = "";', 'let GatewayName = "vpngw01";')
            .replace("ago(7d)", "datetime(2024-05-01T09:00:00Z)")
            .replace("let EndTime = now();", "let EndTime = datetime(2024-05-01T11:00:00Z);"))
    rows = {"AzureDiagnostics": [
        maintenance(s(0)), maintenance(s(0), "VPNGW02"), maintenance(-m(120)),
        gateway_log("SetGatewayConfiguration", s(0)),
    ]}
    result = run_query(body, rows, T0 + m(60))
    assert [(r["Resource"], r["TimeGenerated"]) for r in result] == [("VPNGW01", T0)]
