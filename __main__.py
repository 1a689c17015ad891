"""The gatewatch Pulumi program: read the stack config, build the components. Nothing else."""

import pulumi

from components.aws_tunnel_logs import AwsTunnelLogs, AwsTunnelLogsArgs
from components.existing_rules import check_existing_rules
from components.gateway_alerts import GatewayAlerts, GatewayAlertsArgs
from components.gateway_diagnostics import GatewayDiagnostics, GatewayDiagnosticsArgs
from components.gateway_lookup import gateways_to_look_up, lookup_gateways
from components.gateway_maintenance import GatewayMaintenance, GatewayMaintenanceArgs
from components.log_search_alerts import LogSearchAlerts, LogSearchAlertsArgs
from components.monitoring_workspace import MonitoringWorkspace, MonitoringWorkspaceArgs
from components.saved_queries import SavedQueries, SavedQueriesArgs
from components.vm_scheduled_events import VmScheduledEvents, VmScheduledEventsArgs
from components.vpn_workbook import VpnWorkbook, VpnWorkbookArgs
from gatewatch.aws import names as aws_names
from gatewatch.azure import names as azure_names
from gatewatch.catalog.load import load
from gatewatch.catalog.model import (
    ActivityLogAlertRule,
    LogSearchAlertRule,
    MetricAlertRule,
    SavedQuery,
)
from gatewatch.catalog.overrides import apply, deployable
from gatewatch.config.model import from_pulumi
from gatewatch.errors import BadInput

try:
    config = from_pulumi()
except BadInput as error:
    # RunError: the engine prints the message alone, no traceback.
    raise pulumi.RunError(f"invalid stack config:\n{error}") from None

if config.azure is not None:
    azure = config.azure
    # Every gateway lookup first, before any resource is registered: one per gateway, and the
    # program stays linear in gateways (components/gateway_lookup.py says why).
    gateway_lookups = lookup_gateways(gateways_to_look_up(azure))
    # Azure Monitor's alert limits with the rules the subscription already has: fail here,
    # before the first registration, rather than half-applied (components/existing_rules.py).
    check_existing_rules(azure, gateway_lookups)
    workspace = MonitoringWorkspace(
        azure_names.MONITORING_COMPONENT,
        MonitoringWorkspaceArgs(
            resource_group_name=azure.resource_group_name,
            location=azure.location,
            workspace=azure.workspace,
            tags=azure.tags,
        ),
    )
    diagnostics = GatewayDiagnostics(
        azure_names.DIAGNOSTICS_COMPONENT,
        GatewayDiagnosticsArgs(
            gateways=azure.gateways,
            workspace_id=workspace.workspace_id,
            lookups=gateway_lookups,
            destinations=azure.diagnostics,
        ),
    )
    SavedQueries(
        azure_names.SAVED_QUERIES_COMPONENT,
        SavedQueriesArgs(
            queries=load(SavedQuery),
            resource_group_name=workspace.resource_group_name,
            location=azure.location,
            tags=azure.tags,
        ),
    )
    # The on-call page: drops classified as the tunnel-drop alert does, on the workspace.
    vpn_workbook = VpnWorkbook(
        azure_names.WORKBOOK_COMPONENT,
        VpnWorkbookArgs(
            gateway_ids=[g.id.id for g in azure.gateways],
            workspace_id=workspace.workspace_id,
            resource_group_name=workspace.resource_group_name,
            location=azure.location,
            name_seed=f"{azure.resource_group_name}/{azure.location}",
            tags=azure.tags,
        ),
    )
    pulumi.export("workspaceId", workspace.workspace_id)
    pulumi.export("workbookId", vpn_workbook.workbook_id)
    pulumi.export("diagnosticSettingIds", diagnostics.setting_ids)

    if azure.vms:
        scheduled_events = VmScheduledEvents(
            azure_names.SCHEDULED_EVENTS_COMPONENT,
            VmScheduledEventsArgs(
                vms=azure.vms,
                workspace_id=workspace.workspace_id,
                resource_group_name=workspace.resource_group_name,
                location=azure.workspace_location,  # the DCR's: the workspace's region
                tags=azure.tags,
            ),
        )
        pulumi.export("scheduledEventsDataCollectionRuleId",
                      scheduled_events.data_collection_rule_id)

    action_group_id = None
    if azure.alerts is not None:
        # Rules that need a config feature (vm-scheduled-event: `requires: [vms]`) deploy only
        # when the stack has it; the catalog file says so, not a list kept here.
        features = {"vms"} if azure.vms else set()
        alerts = LogSearchAlerts(
            azure_names.ALERTS_COMPONENT,
            LogSearchAlertsArgs(
                rules=deployable(apply(load(LogSearchAlertRule), azure.alerts), features),
                alerts=azure.alerts,
                resource_group_name=workspace.resource_group_name,
                location=azure.location,
                workspace_id=workspace.workspace_id,
                workspace_scope_id=workspace.workspace_scope_id,
                workspace_resource_group_scope_id=workspace.workspace_resource_group_scope_id,
                resource_group_scope_id=workspace.resource_group_scope_id,
                ready=workspace.ready,
                tags=azure.tags,
            ),
        )
        pulumi.export("alertIdentityId", alerts.identity_id)
        pulumi.export("actionGroupId", alerts.action_group_id)
        action_group_id = alerts.action_group_id
        # Metric and activity log alerts on the gateways, into the same action group.
        GatewayAlerts(
            azure_names.GATEWAY_ALERTS_COMPONENT,
            GatewayAlertsArgs(
                gateways=azure.gateways,
                metric_rules=apply(load(MetricAlertRule), azure.alerts),
                activity_rules=apply(load(ActivityLogAlertRule), azure.alerts),
                resource_group_name=workspace.resource_group_name,
                action_group_id=alerts.action_group_id,
                lookups=gateway_lookups,
                tags=azure.tags,
            ),
        )

    if action_group_id is not None or azure.maintenance_window is not None:
        gateway_maintenance = GatewayMaintenance(
            azure_names.MAINTENANCE_COMPONENT,
            GatewayMaintenanceArgs(
                gateways=azure.gateways,
                resource_group_name=workspace.resource_group_name,
                action_group_id=action_group_id,
                window=azure.maintenance_window,
                lookups=gateway_lookups,
                tags=azure.tags,
            ),
        )
        pulumi.export("maintenanceConfigurationId",
                      gateway_maintenance.maintenance_configuration_id)

if config.aws is not None:
    # One component, provider, log group, topic, Health rule and dashboard per (account,
    # region): a tunnel logs only to a group in its own region and account.
    regional: dict[str, dict[str, pulumi.Output[str]]] = {}
    for scope in config.aws.scopes():
        tunnel_logs = AwsTunnelLogs(
            aws_names.tunnel_logs_component(scope),
            AwsTunnelLogsArgs(config=config.aws, stack=pulumi.get_stack(), scope=scope),
        )
        if scope.primary:
            pulumi.export("awsTunnelLogGroupArn", tunnel_logs.log_group_arn)
            pulumi.export("awsAlarmTopicArn", tunnel_logs.topic_arn)
        else:
            regional[scope.label] = {"tunnelLogGroupArn": tunnel_logs.log_group_arn,
                                     "alarmTopicArn": tunnel_logs.topic_arn}
    if regional:
        pulumi.export("awsRegions", regional)
