"""policy-based-gateway-categories over recorded programs (azure-native and classic)."""

from __future__ import annotations

from tests.support.policy_stacks import (
    FIVE,
    azure_stack,
    check,
    classic_stack,
    record,
    violations,
)


def test_a_policy_based_gateway_asked_for_all_five_is_a_mandatory_violation() -> None:
    outcome = check(record(azure_stack(vpn_type="PolicyBased")))
    assert violations(outcome, "vpn-gateway-diagnostics") == []
    [violation] = [v for v in outcome.violations if v.policy == "policy-based-gateway-categories"]
    assert violation.level == "mandatory" and violation.name == "hub-gw-diag"
    assert "asks the policy-based gateway 'hub-gw' for TunnelDiagnosticLog, IKEDiagnosticLog, " \
        "P2SDiagnosticLog" in violation.message


def test_all_logs_on_a_policy_based_gateway_is_fine() -> None:
    assert check(record(azure_stack(vpn_type="PolicyBased", category_group="allLogs"))) \
        .violations == []


def test_a_classic_policy_based_gateway_asked_for_tunnel_logs_fails() -> None:
    outcome = check(record(classic_stack(logs=[{"category": c} for c in FIVE],
                                         vpn_type="PolicyBased")))
    assert len(violations(outcome, "policy-based-gateway-categories")) == 1
