"""The gatewatch Pulumi program: read the stack config, build the components. Nothing else."""

import pulumi

from components.gateway_diagnostics import GatewayDiagnostics, GatewayDiagnosticsArgs
from components.workspace import MonitoringWorkspace, MonitoringWorkspaceArgs
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
    pulumi.export("workspaceId", workspace.workspace_id)
    pulumi.export("diagnosticSettingIds", diagnostics.setting_ids)
