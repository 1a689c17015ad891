"""Graph assertions for LogSearchAlerts and SavedQueries: identity, least privilege, rules."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

from gatewatch.catalog.load import load
from gatewatch.catalog.model import LogSearchAlertRule, SavedQuery
from gatewatch.catalog.overrides import deployable
from gatewatch.checks.model import UNKNOWN
from gatewatch.config.stack_file import load_stack_file
from gatewatch.errors import SECRET_PLACEHOLDER
from tests.support.graph import RESOURCE_GROUP, WORKSPACE, plan
from tests.support.stacks import SUB, WORKSPACE_ID, base_config, with_alerts

RULE = "azure-native:monitor:ScheduledQueryRule"
ROLE = "azure-native:authorization:RoleAssignment"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
ACTION_GROUP = "azure-native:monitor:ActionGroup"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


def test_reader_role_is_scoped_to_the_workspace_by_default_and_known_at_preview() -> None:
    rec = plan(with_alerts(), preview=True)
    role = rec.one(ROLE)
    identity = rec.one(IDENTITY)
    workspace = rec.one(WORKSPACE)
    assert role.inputs["principalType"] == "ServicePrincipal"
    # Known in a preview (derived from the client config's subscription and config), so a PR
    # preview shows the reviewer which role, where.
    assert role.inputs["roleDefinitionId"] == (
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{READER}")
    assert role.inputs["scope"] == (
        f"/subscriptions/{SUB}/resourceGroups/rg-gatewatch-test/providers/"
        "Microsoft.OperationalInsights/workspaces/log-gatewatch-test")
    assert role.inputs["roleAssignmentName"] is not UNKNOWN
    # The workspace still exists before the grant: an explicit dependency.
    assert workspace.urn in role.dependencies
    assert role.property_dependencies["principalId"] == [identity.urn]


def test_role_scope_resource_group_widens_to_the_workspace_group_only() -> None:
    rec = plan(with_alerts(roleScope="resourceGroup"), preview=True)
    role = rec.one(ROLE)
    group = rec.one(RESOURCE_GROUP)
    assert role.inputs["scope"] == f"/subscriptions/{SUB}/resourceGroups/rg-gatewatch-test"
    assert group.urn in role.dependencies


def test_role_scope_on_an_adopted_workspace_uses_its_own_group() -> None:
    config = with_alerts(roleScope="resourceGroup")
    config["gatewatch:azure"]["workspace"] = {"existingId": WORKSPACE_ID}
    role = plan(config).one(ROLE)
    assert role.inputs["scope"] == WORKSPACE_ID.split("/providers/")[0]
    assert role.inputs["roleDefinitionId"].startswith("/subscriptions/11111111-")


def test_role_assignment_name_is_a_deterministic_guid() -> None:
    first = plan(with_alerts()).one(ROLE).inputs["roleAssignmentName"]
    again = plan(with_alerts()).one(ROLE).inputs["roleAssignmentName"]
    wider = plan(with_alerts(roleScope="resourceGroup")).one(ROLE).inputs["roleAssignmentName"]
    # A second stack in the same subscription (its own resource group, so its own identity)
    # reading the same adopted workspace: a different grant, a different name.
    shared = with_alerts()
    shared["gatewatch:azure"]["workspace"] = {"existingId": WORKSPACE_ID}
    other = copy.deepcopy(shared)
    other["gatewatch:azure"]["resourceGroupName"] = "rg-gatewatch-other"
    one = plan(shared).one(ROLE).inputs["roleAssignmentName"]
    two = plan(other).one(ROLE).inputs["roleAssignmentName"]
    assert first == again
    assert len({first, wider, one, two}) == 4
    assert len(first) == 36 and first.count("-") == 4


def test_every_catalog_rule_is_a_log_alert_run_by_the_identity_after_its_role() -> None:
    rec = plan(with_alerts(), preview=False)
    role, identity, group = rec.one(ROLE), rec.one(IDENTITY), rec.one(ACTION_GROUP)
    workspace = rec.one(WORKSPACE)
    rules = {r.inputs["ruleName"]: r for r in rec.by_type(RULE)}
    catalog = deployable(load(LogSearchAlertRule), set())  # no vms: vm-scheduled-event stays out
    assert sorted(rules) == sorted(f"gatewatch-{a.name}" for a in catalog)
    for alert in catalog:
        rule = rules[f"gatewatch-{alert.name}"]
        assert role.urn in rule.dependencies, rule.urn
        assert rule.inputs["kind"] == "LogAlert"
        assert rule.inputs["scopes"] == [workspace_id_of(workspace)]
        assert rule.inputs["identity"]["type"] == "UserAssigned"
        assert rule.property_dependencies["identity"] == [identity.urn]
        assert rule.property_dependencies["actions"] == [group.urn]
        assert rule.inputs["evaluationFrequency"] == alert.evaluation_frequency
        assert rule.inputs["windowSize"] == alert.window_size
        assert rule.inputs["severity"] == alert.severity
        condition = rule.inputs["criteria"]["allOf"][0]
        assert condition["query"] == alert.query
        assert [d["name"] for d in condition.get("dimensions", [])] == list(alert.dimensions)
        assert ";" not in rule.inputs["ruleName"]  # Azure forbids it with an identity


def workspace_id_of(workspace: Any) -> str:
    return (f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/"
            f"{workspace.inputs['resourceGroupName']}/providers/"
            f"Microsoft.OperationalInsights/workspaces/{workspace.inputs['workspaceName']}")


def test_tunnel_drop_rule_splits_by_gateway_and_remote_ip() -> None:
    rec = plan(with_alerts())
    rule = rec.one(RULE, "vpn-alerts-tunnel-drop")
    dims = rule.inputs["criteria"]["allOf"][0]["dimensions"]
    assert {(d["name"], d["operator"], tuple(d["values"])) for d in dims} == {
        ("Resource", "Include", ("*",)), ("remoteIP_s", "Include", ("*",))}


def test_disabled_alerts_stay_deployed_but_off_and_severity_overrides_apply() -> None:
    rec = plan(with_alerts(disabled=["bgp-peer-drop"], severities={"tunnel-drop": 1}))
    enabled = {r.inputs["ruleName"]: r.inputs["enabled"] for r in rec.by_type(RULE)}
    assert enabled.pop("gatewatch-bgp-peer-drop") is False
    deployed = deployable(load(LogSearchAlertRule), set())
    assert all(enabled.values()) and len(enabled) == len(deployed) - 1
    assert rec.one(RULE, "vpn-alerts-tunnel-drop").inputs["severity"] == 1
    assert rec.one(RULE, "vpn-alerts-bgp-peer-drop").inputs["severity"] != 1


def test_action_group_mails_with_the_common_schema_and_calls_webhooks() -> None:
    hook = {"name": "teams", "uri": "https://example.invalid/hook"}
    rec = plan(with_alerts(emails=["a@example.com", "b@example.com"], webhooks=[hook]))
    group = rec.one(ACTION_GROUP)
    assert [e["emailAddress"] for e in group.inputs["emailReceivers"]] == [
        "a@example.com", "b@example.com"]
    assert all(e["useCommonAlertSchema"] for e in group.inputs["emailReceivers"])
    # The URL carries a token: secret in state and in the printed plan.
    assert group.inputs["webhookReceivers"] == "[secret]"
    assert group.secrets["webhookReceivers"][0]["serviceUri"] == hook["uri"]
    assert len(group.inputs["groupShortName"]) <= 12


def test_no_alerts_section_deploys_no_rules_or_identity() -> None:
    rec = plan(base_config())
    assert rec.by_type(RULE) == [] and rec.by_type(IDENTITY) == [] and rec.by_type(ROLE) == []


def test_query_pack_holds_every_saved_query_with_its_file_guid() -> None:
    rec = plan(base_config())
    pack = rec.one("azure-native:operationalinsights:QueryPack", "vpn-troubleshooting-pack")
    queries = rec.by_type("azure-native:operationalinsights:Query")
    saved = load(SavedQuery)
    assert sorted(q.inputs["id"] for q in queries) == sorted(s.id for s in saved)
    for query in queries:
        assert query.property_dependencies["queryPackName"] == [pack.urn]
        assert query.inputs["related"]["resourceTypes"] == [
            "microsoft.network/virtualnetworkgateways"]


def test_an_encrypted_webhook_url_in_the_stack_file_plans_offline(tmp_path: Path) -> None:
    config = with_alerts(webhooks=[{"name": "teams", "uri": {"secure": "v1:AAAA"}}])
    stack = tmp_path / "Pulumi.sec.yaml"
    stack.write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    _, raw = load_stack_file(stack)
    group = plan(raw).one(ACTION_GROUP)
    assert group.secrets["webhookReceivers"][0]["serviceUri"] == SECRET_PLACEHOLDER
    assert "v1:AAAA" not in json.dumps(group.as_json())
