"""The gateway lookups (components/gateway_lookup.py): one per gateway whichever components
read it, all asked before the first resource is registered (issue 22: a direct lookup among
the registrations made the program quadratic in gateways)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from pulumi.runtime import mocks as pulumi_mocks

from gatewatch.offline.mocks import OfflineMocks
from tests.support.graph import plan
from tests.support.stacks import base_config, gateway_id

GATEWAY_LOOKUP = "azure-native:network:getVirtualNetworkGateway"
WINDOW = {"start": "01:00", "durationHours": 5, "timeZone": "Tokyo Standard Time",
          "startDate": "2025-06-01"}


def every_reader(gateways: int = 3) -> dict[str, Any]:
    """Alerts (tags), a window (region, SKU) and no vpnType (diagnostics): every component
    that reads the lookup reads it for every gateway."""
    config = base_config()
    azure = config["gatewatch:azure"]
    azure["gateways"] = [{"id": gateway_id("rg-vpn", f"vpngw-{i}")} for i in range(gateways)]
    azure["alerts"] = {"emails": ["netops@example.com"]}
    azure["maintenanceWindow"] = WINDOW
    return config


def looked_up(rec: Any) -> Counter[tuple[str, str]]:
    return Counter((c.args["resourceGroupName"], c.args["virtualNetworkGatewayName"])
                   for c in rec.calls if c.token == GATEWAY_LOOKUP)


def test_each_gateway_is_looked_up_once_whichever_components_read_it() -> None:
    rec = plan(every_reader())
    assert looked_up(rec) == {("rg-vpn", f"vpngw-{i}"): 1 for i in range(3)}
    # ... and every reader got its answer: a setting, metric alerts and an assignment each.
    settings = rec.by_type("azure-native:monitor:DiagnosticSetting")
    assignments = rec.by_type("azure-native:maintenance:ConfigurationAssignment")
    alerts = rec.by_type("azure-native:monitor:MetricAlert")
    assert len(settings) == len(assignments) == 3 and alerts


def test_without_alerts_or_window_only_gateways_without_a_vpn_type_are_looked_up() -> None:
    config = base_config()
    del config["gatewatch:azure"]["gateways"][1]["vpnType"]
    assert looked_up(plan(config)) == {("rg-branch", "vpngw-branch"): 1}


def test_every_gateway_lookup_is_answered_before_the_first_resource_is_registered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registered_when_asked: list[int] = []
    answer = OfflineMocks.call

    def counting(self: OfflineMocks, args: pulumi_mocks.MockCallArgs) -> Any:
        if args.token == GATEWAY_LOOKUP:
            registered_when_asked.append(len(self.recording.resources))
        return answer(self, args)

    monkeypatch.setattr(OfflineMocks, "call", counting)
    plan(every_reader(5))
    assert registered_when_asked == [0] * 5
