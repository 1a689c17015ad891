"""Metric and activity log alert files against Microsoft's documented metrics and operations
(gatewatch/catalog/gateway_rules.py, the tables of gatewatch/azure/metrics.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatewatch.azure.metrics import OPERATIONS_FILE
from gatewatch.catalog.gateway_rules import activity_log_alert, metric_alert
from gatewatch.catalog.load import folder, load
from gatewatch.catalog.model import DYNAMIC, ActivityLogAlertRule, MetricAlertRule
from gatewatch.errors import BadInput
from tests.support.gateway_alerts import documented


def test_every_metric_alert_uses_a_documented_metric_and_its_dimensions() -> None:
    table = documented()
    rules = load(MetricAlertRule)
    assert {r.metric_name for r in rules} == {
        "TunnelAverageBandwidth", "TunnelEgressBytes", "TunnelIngressBytes",
        "TunnelEgressPacketDropCount", "TunnelIngressPacketDropCount",
        "TunnelEgressPacketDropTSMismatch", "TunnelIngressPacketDropTSMismatch",
        "BgpPeerStatus"}
    for rule in rules:
        metric = table[rule.metric_name]
        assert set(rule.dimensions) <= set(metric["dimensions"]), rule.name
        assert rule.window_size in metric["timeGrains"] or rule.window_size == "PT1H", rule.name


def test_bgp_peer_status_is_split_per_peer_and_instance_and_cannot_be_a_log_alert() -> None:
    rule = next(r for r in load(MetricAlertRule) if r.metric_name == "BgpPeerStatus")
    assert rule.dimensions == ("BgpPeerAddress", "Instance")
    # Why it is a metric alert: Microsoft's table says diagnostic settings cannot export it.
    assert documented()["BgpPeerStatus"]["dsExport"] is False
    assert rule.amba.alert is None


def test_amba_rules_carry_amba_guids_and_say_where_they_differ() -> None:
    amba = {r.amba.alert: r for r in load(MetricAlertRule) if r.amba.alert}
    assert amba["TunnelAverageBandwidth"].amba.guid == "09bb7f01-a715-437d-b692-325f89e1869e"
    assert amba["TunnelEgressPacketDropCount"].criterion.type == DYNAMIC
    assert amba["TunnelEgressPacketDropCount"].criterion.number_of_evaluation_periods == 4
    for rule in amba.values():
        assert "idle" not in rule.name or rule.severity > 0  # AMBA pages an idle tunnel at sev 0
        assert rule.amba.differs and rule.amba.follows


def _mutated(tmp_path: Path, **changes: Any) -> Path:
    data = yaml.safe_load((folder(MetricAlertRule) / "bgp-peer-status.yaml").read_text())
    for dotted, value in changes.items():
        target = data
        *head, last = dotted.split("__")
        for key in head:
            target = target[key]
        target[last] = value
    path = tmp_path / "bgp-peer-status.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize(("changes", "message"), [
    ({"metric__name": "BgpPeerState"}, "is not a documented"),
    ({"metric__dimensions": ["RemoteIP"]}, "is not a dimension of BgpPeerStatus"),
    ({"windowSize": "PT1M", "evaluationFrequency": "PT1M"}, "smallest time grain"),
    ({"criterion__threshold": 0.5}, "integer"),
    ({"metric__timeAggregation": "Sum"}, "metric.timeAggregation"),
])
def test_catalog_rejects_what_microsoft_does_not_document(
    tmp_path: Path, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(BadInput, match=message):
        metric_alert(_mutated(tmp_path, **changes))


def test_activity_alerts_use_published_gateway_operations() -> None:
    published = {o["operation"].lower() for o in
                 json.loads(OPERATIONS_FILE.read_text())["operations"]}
    ops = {r.name: r.operation_name for r in load(ActivityLogAlertRule)}
    assert ops == {"gateway-deleted": "Microsoft.Network/virtualNetworkGateways/delete",
                   "gateway-config-written": "Microsoft.Network/virtualNetworkGateways/write"}
    assert {o.lower() for o in ops.values()} <= published


def test_an_unpublished_operation_name_is_rejected(tmp_path: Path) -> None:
    data = yaml.safe_load((folder(ActivityLogAlertRule) / "gateway-deleted.yaml").read_text())
    data["condition"]["operationName"] = "Microsoft.Network/virtualNetworkGateways/remove"
    path = tmp_path / "gateway-deleted.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(BadInput, match=r"condition\.operationName: .* is not a published"):
        activity_log_alert(path)
