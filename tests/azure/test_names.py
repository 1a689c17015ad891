"""The Azure names `doctor` and `triage` look up are the names the program declares: the program
runs offline (the plan) on each stack file, and every name the shared functions give for that
stack's config is found on the resource the live path reads it from. The components call the
same functions, so this proves they are the ones the program uses."""

from __future__ import annotations

import pytest

from gatewatch.azure import names as azure_names
from gatewatch.catalog.load import load
from gatewatch.catalog.model import ActivityLogAlertRule, LogSearchAlertRule, MetricAlertRule
from gatewatch.catalog.overrides import deployable
from gatewatch.config.azure import AzureConfig
from gatewatch.offline.recording import Recording
from tests.support.declared import STACKS, declared, names_of
from tests.support.live_world import GW_NAME
from tests.support.live_world import STACK as LIVE_STACK

SETTING = "azure-native:monitor:DiagnosticSetting"
LOG_ALERT = "azure-native:monitor:ScheduledQueryRule"
METRIC_ALERT = "azure-native:monitor:MetricAlert"
ACTIVITY_ALERT = "azure-native:monitor:ActivityLogAlert"
ACTION_GROUP = "azure-native:monitor:ActionGroup"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
ROLE = "azure-native:authorization:RoleAssignment"


def _azure(stack: str) -> tuple[AzureConfig, Recording]:
    """The stack's Azure config (with alerts, as every stack checked here has) and graph."""
    found = declared(stack)
    assert found.azure.alerts is not None
    return found.azure, found.recording


def _subscription(rec: Recording) -> str:
    """The subscription the program deployed into (its client config lookup)."""
    return next(c.result["subscriptionId"] for c in rec.calls
                if c.token == "azure-native:authorization:getClientConfig")


@pytest.mark.parametrize("stack", STACKS)
def test_every_name_doctor_reads_is_declared_by_the_program(stack: str) -> None:
    azure, rec = _azure(stack)
    features = {"vms"} if azure.vms else set()
    alerts = azure_names.ALERTS_COMPONENT

    assert names_of(rec, SETTING, "name") == {azure_names.DIAGNOSTIC_SETTING_NAME}
    assert len(rec.by_type(SETTING)) == len(azure.gateways)
    assert names_of(rec, LOG_ALERT, "ruleName") == {
        azure_names.log_search_alert_name(r.name)
        for r in deployable(load(LogSearchAlertRule), features)}
    assert names_of(rec, ACTION_GROUP, "actionGroupName") == {
        azure_names.action_group_name(alerts)}
    assert names_of(rec, IDENTITY, "resourceName") == {azure_names.identity_name(alerts)}
    assert names_of(rec, METRIC_ALERT, "ruleName") == {
        azure_names.metric_alert_name(r.name, g.name)
        for g in azure.gateways for r in load(MetricAlertRule)}
    assert names_of(rec, ACTIVITY_ALERT, "activityLogAlertName") == {
        *(azure_names.activity_alert_name(r.name) for r in load(ActivityLogAlertRule)),
        azure_names.SERVICE_HEALTH_ALERT_NAME, azure_names.RESOURCE_HEALTH_ALERT_NAME}


@pytest.mark.parametrize("stack", STACKS)
def test_the_workspace_and_identity_ids_are_the_ones_the_grant_uses(stack: str) -> None:
    """The live path's workspace id is the Reader grant's scope (roleScope workspace), and the
    grant's name is derived from the identity id the shared functions give."""
    azure, rec = _azure(stack)
    sub = _subscription(rec)
    (role,) = rec.by_type(ROLE)
    group_id = azure_names.resource_group_id(sub, azure.resource_group_name)
    workspace = azure_names.workspace_id(azure, sub)
    scope = workspace if azure.alerts and azure.alerts.role_scope == "workspace" else group_id
    assert role.inputs["scope"] == scope
    (created,) = rec.by_type("azure-native:operationalinsights:Workspace")
    (group,) = rec.by_type("azure-native:resources:ResourceGroup")
    assert workspace.endswith(
        f"/resourceGroups/{group.inputs['resourceGroupName']}/providers/"
        f"Microsoft.OperationalInsights/workspaces/{created.inputs['workspaceName']}")
    assert role.inputs["roleAssignmentName"] == azure_names.role_assignment_name(
        scope, role.inputs["roleDefinitionId"],
        azure_names.identity_id(group_id, azure_names.ALERTS_COMPONENT))


@pytest.mark.parametrize("stack", STACKS)
def test_every_other_azure_name_is_the_shared_one(stack: str) -> None:
    azure, rec = _azure(stack)
    assert names_of(rec, "azure-native:operationalinsights:QueryPack", "queryPackName") == {
        azure_names.query_pack_name(azure_names.SAVED_QUERIES_COMPONENT)}
    assert names_of(rec, "azure-native:applicationinsights:Workbook", "resourceName") == {
        azure_names.workbook_name(f"{azure.resource_group_name}/{azure.location}",
                                  azure_names.WORKBOOK_COMPONENT)}
    vms = bool(azure.vms)
    assert names_of(rec, "azure-native:monitor:DataCollectionRule",
                    "dataCollectionRuleName") == ({azure_names.data_collection_rule_name(
                        azure_names.SCHEDULED_EVENTS_COMPONENT)} if vms else set())
    assert names_of(rec, "azure-native:monitor:DataCollectionRuleAssociation",
                    "associationName") == ({azure_names.DCR_ASSOCIATION_NAME} if vms else set())
    window = azure.maintenance_window is not None
    assert names_of(rec, "azure-native:maintenance:MaintenanceConfiguration",
                    "resourceName") == ({azure_names.maintenance_configuration_name(
                        azure_names.MAINTENANCE_COMPONENT)} if window else set())
    assert names_of(rec, "azure-native:maintenance:ConfigurationAssignment",
                    "configurationAssignmentName") == (
        {azure_names.MAINTENANCE_ASSIGNMENT_NAME} if window else set())
    assert {r.inputs["groupShortName"] for r in rec.by_type(ACTION_GROUP)} == {
        azure_names.ACTION_GROUP_SHORT_NAME}


def test_the_live_estate_alert_names_are_declared_by_their_components() -> None:
    azure, rec = _azure(LIVE_STACK)
    (gateway,) = azure.gateways
    assert gateway.name == GW_NAME

    assert names_of(rec, LOG_ALERT, "ruleName") == {
        azure_names.log_search_alert_name(n) for n in
        ("bgp-peer-drop", "gateway-maintenance", "ike-negotiation-failure", "tunnel-drop")}
    # doctor checks the enabled ones; the program also deploys catalog-disabled ones, disabled
    metric = {a.inputs["ruleName"]: a.inputs["enabled"] for a in rec.by_type(METRIC_ALERT)}
    assert metric == {azure_names.metric_alert_name(r.name, gateway.name): r.enabled
                      for r in load(MetricAlertRule)}
    activity = {a.inputs["activityLogAlertName"]: a.parent.split("::")[-2].split("$")[-1]
                for a in rec.by_type(ACTIVITY_ALERT)}
    assert activity == {
        **{azure_names.activity_alert_name(r.name): "gatewatch:azure:GatewayAlerts"
           for r in load(ActivityLogAlertRule)},
        azure_names.SERVICE_HEALTH_ALERT_NAME: "gatewatch:azure:GatewayMaintenance",
        azure_names.RESOURCE_HEALTH_ALERT_NAME: "gatewatch:azure:GatewayMaintenance"}
