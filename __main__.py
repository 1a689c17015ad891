"""The gatewatch Pulumi program: read the stack config, build the components. Nothing else."""

import pulumi

from components.alerts import LogSearchAlerts, LogSearchAlertsArgs
from components.gateway_diagnostics import GatewayDiagnostics, GatewayDiagnosticsArgs
from components.saved_queries import SavedQueries, SavedQueriesArgs
from components.workspace import MonitoringWorkspace, MonitoringWorkspaceArgs
from gatewatch.catalog import apply_overrides, load_catalog, load_saved_queries
from gatewatch.config import ConfigError, from_pulumi

try:
    config = from_pulumi()
except ConfigError as error:
    # RunError: the engine prints the message alone, no traceback.
    raise pulumi.RunError(f"invalid stack config:\n{error}") from None

if config.azure is not None:
    azure = config.azure
    workspace = MonitoringWorkspace(
        "monitoring",
        MonitoringWorkspaceArgs(
            resource_group_name=azure.resource_group_name,
            location=azure.location,
            workspace=azure.workspace,
            tags=azure.tags,
        ),
    )
    diagnostics = GatewayDiagnostics(
        "gateway-diagnostics",
        GatewayDiagnosticsArgs(
            gateways=azure.gateways,
            workspace_id=workspace.workspace_id,
            destinations=azure.diagnostics,
        ),
    )
    SavedQueries(
        "vpn-troubleshooting",
        SavedQueriesArgs(
            queries=load_saved_queries(),
            resource_group_name=workspace.resource_group_name,
            location=azure.location,
            tags=azure.tags,
        ),
    )
    pulumi.export("workspaceId", workspace.workspace_id)
    pulumi.export("diagnosticSettingIds", diagnostics.setting_ids)

    if azure.alerts is not None:
        alerts = LogSearchAlerts(
            "vpn-alerts",
            LogSearchAlertsArgs(
                rules=apply_overrides(
                    load_catalog(), set(azure.alerts.disabled), dict(azure.alerts.severities)
                ),
                alerts=azure.alerts,
                resource_group_name=workspace.resource_group_name,
                location=azure.location,
                workspace_id=workspace.workspace_id,
                workspace_resource_group_id=workspace.workspace_resource_group_id,
                name_seed=f"{azure.resource_group_name}/{azure.location}",
                tags=azure.tags,
            ),
        )
        pulumi.export("alertIdentityId", alerts.identity_id)
        pulumi.export("actionGroupId", alerts.action_group_id)
