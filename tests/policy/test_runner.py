"""The pack run offline (gatewatch.policy.runner) over the kit's own program and over stacks
that break the advisory rules, and the policy config it reads (enforcement levels, names)."""

from __future__ import annotations

import runpy

import pulumi
import pytest
from pulumi_aws import cloudwatch
from pulumi_azure_native import network, operationalinsights

from gatewatch.errors import BadInput
from gatewatch.offline import runtime
from gatewatch.offline.runtime import run_program
from gatewatch.policy.runner import resolve_config
from tests.support.policy_stacks import (
    check,
    network_and_workspace,
    record,
    violations,
)
from tests.support.stacks import base_config

# --- the kit's own program -------------------------------------------------------------------

@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_the_kits_own_program_passes_every_policy(preview: bool) -> None:
    rec = run_program(base_config(), stack="test", preview=preview)
    outcome = check(rec)
    assert outcome.violations == [], [v.message for v in outcome.violations]
    assert not outcome.failed


def test_a_gateway_declared_beside_the_kits_program_without_a_setting_fails() -> None:
    def program() -> None:
        runpy.run_path(str(runtime.PROGRAM), run_name="__main__")
        network.VirtualNetworkGateway("extra-gw", resource_group_name="rg-net",
                                      gateway_type="Vpn", vpn_type="RouteBased")

    outcome = check(run_program(base_config(), stack="test", program=program))
    assert outcome.failed
    [message] = violations(outcome, "vpn-gateway-diagnostics")
    assert "'extra-gw' has no diagnostic setting" in message


# --- the policy config ------------------------------------------------------------------------

def test_unknown_policy_names_and_levels_are_config_errors() -> None:
    with pytest.raises(BadInput) as error:
        resolve_config({"vpn-gateway-diagnostic": "advisory", "all": "loud"})
    text = str(error.value)
    assert "did you mean 'vpn-gateway-diagnostics'" in text and "'loud'" in text


# --- advisory rules ---------------------------------------------------------------------------

def test_advisory_rules_flag_their_resources_without_failing() -> None:
    def program() -> None:
        group, _ = network_and_workspace()
        operationalinsights.Workspace("short-logs", resource_group_name=group.name,
                                      retention_in_days=7)
        pulumi.CustomResource("azure-native:monitor:ScheduledQueryRule", "no-identity-rule", {
            "resourceGroupName": "rg-net", "kind": "LogAlert", "scopes": ["/x"]})
        pulumi.CustomResource("azure-native:monitor:ScheduledQueryRule", "identity-rule", {
            "resourceGroupName": "rg-net", "identity": {"type": "UserAssigned"}})
        pulumi.CustomResource("azure-native:authorization:RoleAssignment", "sub-reader", {
            "scope": "/subscriptions/11111111-2222-3333-4444-555555555555",
            "principalId": "p", "roleDefinitionId": "r"})
        pulumi.CustomResource("azure-native:authorization:RoleAssignment", "mg-reader", {
            "scope": "/providers/Microsoft.Management/managementGroups/corp",
            "principalId": "p", "roleDefinitionId": "r"})
        pulumi.CustomResource("azure-native:authorization:RoleAssignment", "rg-reader", {
            "scope": "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg",
            "principalId": "p", "roleDefinitionId": "r"})
        cloudwatch.LogGroup("forever", name="/aws/vendedlogs/vpn")
        cloudwatch.LogGroup("ninety", name="/aws/vendedlogs/vpn90", retention_in_days=90)

    outcome = check(record(program))
    flagged = sorted((v.policy, v.name) for v in outcome.violations)
    assert flagged == [
        ("alert-roles-not-subscription-scope", "mg-reader"),
        ("alert-roles-not-subscription-scope", "sub-reader"),
        ("alert-rules-use-managed-identity", "no-identity-rule"),
        ("log-group-retention", "forever"),
        ("workspace-retention-30-days", "short-logs"),
    ]
    assert {v.level for v in outcome.violations} == {"advisory"}
    assert not outcome.failed
