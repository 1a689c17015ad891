"""The names the kit gives what it deploys on Azure: one function or constant each.

The components name their resources with these and `doctor` and `triage` look the same
resources up with them, so the deploying and the reading side cannot drift apart. A name
derived from a component's name takes it as an argument; the component names themselves are
here too, as the program (__main__.py) passes them.

Azure's rules for these names: "Naming rules and restrictions for Azure resources"
(https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from gatewatch.config.azure import AzureConfig

# The program's Azure components: each is the first part of its children's Pulumi names, and
# some seed a deployed name below (ag-vpn-alerts, id-vpn-alerts, qp-vpn-troubleshooting, ...).
MONITORING_COMPONENT: Final = "monitoring"
DIAGNOSTICS_COMPONENT: Final = "gateway-diagnostics"
SAVED_QUERIES_COMPONENT: Final = "vpn-troubleshooting"
WORKBOOK_COMPONENT: Final = "vpn-workbook"
SCHEDULED_EVENTS_COMPONENT: Final = "vm-scheduled-events"
ALERTS_COMPONENT: Final = "vpn-alerts"
GATEWAY_ALERTS_COMPONENT: Final = "gateway-alerts"
MAINTENANCE_COMPONENT: Final = "gateway-maintenance"

# Names that do not vary: the diagnostic setting on every watched gateway; the Service Health
# and Resource Health activity log alerts on the gateways; the action group's short name
# (Azure caps it at 12 characters; SMS and mail show it); the association of each Windows VM
# with the scheduled-events data collection rule and the run command that installs the
# service on it; the assignment of the maintenance configuration to each gateway.
DIAGNOSTIC_SETTING_NAME: Final = "gatewatch"
SERVICE_HEALTH_ALERT_NAME: Final = "gatewatch-vpn-gateway-maintenance"
RESOURCE_HEALTH_ALERT_NAME: Final = "gatewatch-vpn-gateway-health"
ACTION_GROUP_SHORT_NAME: Final = "gatewatch"
DCR_ASSOCIATION_NAME: Final = "gatewatch-scheduled-events"
RUN_COMMAND_NAME: Final = "gatewatch-scheduled-events-service"
MAINTENANCE_ASSIGNMENT_NAME: Final = "gatewatch"


def log_search_alert_name(rule: str) -> str:
    """A scheduled query rule of alerts/*.yaml."""
    return f"gatewatch-{rule}"


def metric_alert_name(rule: str, gateway_name: str) -> str:
    """One metric alert per watched gateway and rule of alerts/metric/*.yaml."""
    return f"gatewatch-{rule}-{gateway_name}"


def activity_alert_name(rule: str) -> str:
    """One activity log alert per rule of alerts/activity/*.yaml, over all watched gateways:
    an activity log alert watches its whole subscription, filtered by resource id."""
    return f"gatewatch-{rule}"


def action_group_name(component: str) -> str:
    """The action group every alert of the kit notifies; `doctor` checks that it is enabled
    and has receivers."""
    return f"ag-{component}"


def identity_name(component: str) -> str:
    """The user-assigned identity the log search alerts run as."""
    return f"id-{component}"


def query_pack_name(component: str) -> str:
    """The query pack of queries/*.yaml, shown under Logs > Queries in the portal: a query
    pack is a resource of its own, in the kit's resource group."""
    return f"qp-{component}"


def data_collection_rule_name(component: str) -> str:
    """The rule that sends the Windows VMs' scheduled events to the workspace."""
    return f"dcr-{component}"


def maintenance_configuration_name(component: str) -> str:
    """The gateways' customer-controlled maintenance window, assigned to each gateway whose
    maintenanceWindow is not false."""
    return f"mc-{component}"


# Fixed namespace: the same stack and workspace always derive the same workbook name (a UUID,
# as the workbooks API requires), so a re-run updates the workbook instead of adding one.
_WORKBOOK_NAMESPACE = uuid.UUID("0b8c3f54-6c1e-4b2e-9d7a-6761746577b2")


def workbook_name(name_seed: str, component: str) -> str:
    """`name_seed`: the stack's resource group and location, unique per environment."""
    return str(uuid.uuid5(_WORKBOOK_NAMESPACE, f"{name_seed}/{component}"))


def resource_group_id(subscription_id: str, resource_group: str) -> str:
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"


def identity_id(group_id: str, component: str) -> str:
    """The identity's ARM id in the kit's resource group (`group_id`), known before it exists."""
    return (f"{group_id}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
            f"{identity_name(component)}")


def created_workspace_id(group_id: str, workspace_name: str) -> str:
    """The ARM id of the workspace the kit creates in its resource group (`group_id`)."""
    return f"{group_id}/providers/Microsoft.OperationalInsights/workspaces/{workspace_name}"


def workspace_id(azure: AzureConfig, subscription_id: str) -> str:
    """The workspace's ARM id: the adopted one, or the one the kit creates in the deploying
    subscription under gatewatch:azure.resourceGroupName."""
    existing, name = azure.workspace.existing_id, azure.workspace.name
    if existing is not None:
        return existing.id
    assert name is not None  # the config requires a name unless it adopts a workspace
    return created_workspace_id(resource_group_id(subscription_id, azure.resource_group_name),
                                name)


# Fixed namespace for role assignment names: the same stack always derives the same GUID,
# so a re-run updates the assignment instead of creating a second one.
_ROLE_NAME_NAMESPACE = uuid.UUID("5d0c4c53-4b0a-4c3e-9a55-6761746577a1")


def role_assignment_name(scope: str, role_definition_id: str, identity_resource_id: str) -> str:
    """A GUID from scope, role and identity (case-insensitive, as ARM ids are): the same grant
    always has the same name, and two stacks (two identities) never collide on one."""
    seed = "|".join(v.lower() for v in (scope, role_definition_id, identity_resource_id))
    return str(uuid.uuid5(_ROLE_NAME_NAMESPACE, seed))
