"""Azure names the kit declares never collide: within a stack, with a second stack in the same
subscription, with an adopted workspace or a gateway in another subscription. A resource's
Azure address is its type plus its path parameters (resource group and name, or the parent
resource id and name), as the vendored manifest lists them."""

from __future__ import annotations

from typing import Any

from gatewatch.checks import api_definitions
from gatewatch.checks.api_specs import manifest
from gatewatch.checks.model import Resource
from gatewatch.offline.recording import Recording
from tests.support.graph import plan
from tests.support.stacks import SUB, estate_config, gateway_id

OTHER_SUB = "99999999-8888-7777-6666-555555555555"
ROLE = "azure-native:authorization:RoleAssignment"


def address(resource: Resource) -> tuple[str, ...]:
    spec = manifest()[resource.type]
    values = [str(resource.inputs.get(p, "")).lower() for p in spec.path_parameters]
    assert all(v and v != "<unknown>" for v in values), (resource.urn, values)
    return (spec.arm_type.lower(), *values)


def addresses(rec: Recording) -> dict[tuple[str, ...], str]:
    found: dict[tuple[str, ...], str] = {}
    for resource in api_definitions.azure_resources(rec.resources):
        key = address(resource)
        assert key not in found, f"{resource.urn} and {found[key]} are both {key}"
        found[key] = resource.urn
    return found


def _second_stack() -> dict[str, Any]:
    """Another environment in the same subscription: its own group, workspace, gateways, VMs."""
    config = estate_config()
    azure = config["gatewatch:azure"]
    azure["resourceGroupName"] = "rg-gatewatch-staging"
    azure["workspace"]["name"] = "log-gatewatch-staging"
    azure["gateways"] = [{"id": gateway_id("rg-hub-staging", "vpngw-staging"),
                          "vpnType": "RouteBased"}]
    vm = f"/subscriptions/{SUB}/resourceGroups/rg-app-staging/providers/Microsoft.Compute/"
    azure["vms"] = [{"id": vm + "virtualMachines/vm-staging-01"}]
    return config


def test_a_second_stack_in_the_same_subscription_shares_no_azure_name() -> None:
    first = addresses(plan(estate_config(), preview=False))
    second = addresses(plan(_second_stack(), preview=False))
    assert len(first) >= 20 and len(second) >= 15
    assert set(first).isdisjoint(second), set(first) & set(second)
    roles = [r for r in (first, second)
             for key in r if key[0] == "microsoft.authorization/roleassignments"]
    assert len(roles) == 2


def test_an_adopted_workspace_in_another_subscription() -> None:
    config = estate_config()
    workspace = (f"/subscriptions/{OTHER_SUB}/resourceGroups/rg-central-logs/providers/"
                 "Microsoft.OperationalInsights/workspaces/log-central")
    config["gatewatch:azure"]["workspace"] = {"existingId": workspace, "location": "japaneast"}
    config["gatewatch:azure"]["alerts"]["roleScope"] = "workspace"
    addresses(plan(config, preview=False))
    rec = plan(config, preview=True)
    (role,) = rec.by_type(ROLE)
    # Granted where the workspace is, with that subscription's Reader definition; known at
    # preview; the kit's own resources stay in the deploying subscription.
    assert role.inputs["scope"] == workspace
    assert role.inputs["roleDefinitionId"].startswith(f"/subscriptions/{OTHER_SUB}/providers/")
    again = plan(config, preview=True).by_type(ROLE)[0]
    assert again.inputs["roleAssignmentName"] == role.inputs["roleAssignmentName"]
    assert api_definitions.check_resources(rec.resources) == []


def test_a_gateway_in_another_subscription() -> None:
    config = estate_config()
    other = gateway_id("rg-west", "vpngw-west", sub=OTHER_SUB)
    config["gatewatch:azure"]["gateways"].append({"id": other, "vpnType": "RouteBased",
                                                  "location": "japaneast"})
    rec = plan(config, preview=False)
    found = addresses(rec)
    setting = ("microsoft.insights/diagnosticsettings", other.lower(), "gatewatch")
    assert setting in found
    assert api_definitions.check_resources(rec.resources) == []
