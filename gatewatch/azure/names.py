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
    from gatewatch.config.model import AzureConfig

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

# The diagnostic setting on every watched gateway.
DIAGNOSTIC_SETTING_NAME: Final = "gatewatch"


def log_search_alert_name(rule: str) -> str:
    """A scheduled query rule of alerts/*.yaml."""
    return f"gatewatch-{rule}"


def metric_alert_name(rule: str, gateway_name: str) -> str:
    """One metric alert per watched gateway and rule of alerts/metric/*.yaml."""
    return f"gatewatch-{rule}-{gateway_name}"


def activity_alert_name(rule: str) -> str:
    """One activity log alert per rule of alerts/activity/*.yaml."""
    return f"gatewatch-{rule}"


# The Service Health and Resource Health activity log alerts on the gateways.
SERVICE_HEALTH_ALERT_NAME: Final = "gatewatch-vpn-gateway-maintenance"
RESOURCE_HEALTH_ALERT_NAME: Final = "gatewatch-vpn-gateway-health"


def action_group_name(component: str) -> str:
    return f"ag-{component}"


# Azure caps an action group's short name at 12 characters; it is shown in SMS and mail.
ACTION_GROUP_SHORT_NAME: Final = "gatewatch"


def identity_name(component: str) -> str:
    """The user-assigned identity the log search alerts run as."""
    return f"id-{component}"


def resource_group_id(subscription_id: str, resource_group: str) -> str:
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"


def identity_id(group_id: str, component: str) -> str:
    """The identity's ARM id in the kit's resource group (`group_id`), known before it exists."""
    return (f"{group_id}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
            f"{identity_name(component)}")


# Fixed namespace for role assignment names: the same stack always derives the same GUID,
# so a re-run updates the assignment instead of creating a second one.
_ROLE_NAME_NAMESPACE = uuid.UUID("5d0c4c53-4b0a-4c3e-9a55-6761746577a1")


def role_assignment_name(scope: str, role_definition_id: str, identity_resource_id: str) -> str:
    """A GUID from scope, role and identity (case-insensitive, as ARM ids are): the same grant
    always has the same name, and two stacks (two identities) never collide on one."""
    seed = "|".join(v.lower() for v in (scope, role_definition_id, identity_resource_id))
    return str(uuid.uuid5(_ROLE_NAME_NAMESPACE, seed))


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


def query_pack_name(component: str) -> str:
    return f"qp-{component}"


# Fixed namespace: the same stack and workspace always derive the same workbook name (a UUID,
# as the workbooks API requires), so a re-run updates the workbook instead of adding one.
_WORKBOOK_NAMESPACE = uuid.UUID("0b8c3f54-6c1e-4b2e-9d7a-6761746577b2")


def workbook_name(name_seed: str, component: str) -> str:
    """`name_seed`: the stack's resource group and location, unique per environment."""
    return str(uuid.uuid5(_WORKBOOK_NAMESPACE, f"{name_seed}/{component}"))


def data_collection_rule_name(component: str) -> str:
    return f"dcr-{component}"


# The association of each Windows VM with that rule, and the run command that installs the
# scheduled events service on it.
DCR_ASSOCIATION_NAME: Final = "gatewatch-scheduled-events"
RUN_COMMAND_NAME: Final = "gatewatch-scheduled-events-service"


def maintenance_configuration_name(component: str) -> str:
    return f"mc-{component}"


# The assignment of that configuration to each gateway.
MAINTENANCE_ASSIGNMENT_NAME: Final = "gatewatch"
