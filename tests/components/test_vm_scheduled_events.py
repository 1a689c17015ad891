"""Graph assertions for VmScheduledEvents and the vm-scheduled-event rule: DCR (EventID 1234
only), one association per VM, the agent and the service unless config says they are managed
elsewhere, the OS and identity checks against the VM lookup."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pulumi import RunError

from components.vm_scheduled_events import X_PATH_QUERY, install_script
from gatewatch.offline.recording import Recording
from tests.support.graph import WORKSPACE, plan
from tests.support.stacks import SUB, WORKSPACE_ID, base_config

COMPONENT = "gatewatch:azure:VmScheduledEvents"
DCR = "azure-native:monitor:DataCollectionRule"
DCRA = "azure-native:monitor:DataCollectionRuleAssociation"
EXTENSION = "azure-native:compute:VirtualMachineExtension"
RUN_COMMAND = "azure-native:compute:VirtualMachineRunCommandByVirtualMachine"
RULE = "azure-native:monitor:ScheduledQueryRule"
ACTION_GROUP = "azure-native:monitor:ActionGroup"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"


def vm_id(name: str, rg: str = "rg-app") -> str:
    return (f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Compute/"
            f"virtualMachines/{name}")


VM1, VM2 = vm_id("vm-app-01"), vm_id("vm-app-02", "rg-app2")


def with_vms(*vms: dict[str, Any], alerts: bool = True) -> dict[str, Any]:
    config = base_config()
    config["gatewatch:azure"]["vms"] = list(vms) or [{"id": VM1}, {"id": VM2}]
    if alerts:
        config["gatewatch:azure"]["alerts"] = {"emails": ["netops@example.com"]}
    return config


def test_one_windows_dcr_collects_only_event_1234_into_the_workspace() -> None:
    rec = plan(with_vms(), preview=False)
    dcr, workspace = rec.one(DCR), rec.one(WORKSPACE)
    assert dcr.parent == rec.one(COMPONENT).urn
    assert dcr.inputs["kind"] == "Windows"
    assert dcr.inputs["location"] == "japaneast"
    (source,) = dcr.inputs["dataSources"]["windowsEventLogs"]
    assert source["xPathQueries"] == [X_PATH_QUERY] == ["Application!*[System[(EventID=1234)]]"]
    assert source["streams"] == ["Microsoft-Event"]
    (destination,) = dcr.inputs["destinations"]["logAnalytics"]
    assert destination["workspaceResourceId"].endswith("/workspaces/log-gatewatch-test")
    assert dcr.property_dependencies["destinations"] == [workspace.urn]
    assert dcr.inputs["dataFlows"] == [
        {"streams": ["Microsoft-Event"], "destinations": [destination["name"]]}]


def test_each_vm_is_associated_with_the_dcr() -> None:
    rec = plan(with_vms(), preview=False)
    dcr = rec.one(DCR)
    associations = {a.inputs["resourceUri"]: a for a in rec.by_type(DCRA)}
    assert sorted(associations) == sorted([VM1, VM2])
    for association in associations.values():
        assert association.property_dependencies["dataCollectionRuleId"] == [dcr.urn]
        assert association.inputs["associationName"] == "gatewatch-scheduled-events"
        assert association.parent == dcr.parent


def test_agent_extension_on_each_vm_with_automatic_upgrade() -> None:
    rec = plan(with_vms())
    extensions = {e.inputs["vmName"]: e for e in rec.by_type(EXTENSION)}
    assert sorted(extensions) == ["vm-app-01", "vm-app-02"]
    assert extensions["vm-app-02"].inputs["resourceGroupName"] == "rg-app2"
    for extension in extensions.values():
        assert extension.inputs["publisher"] == "Microsoft.Azure.Monitor"
        assert extension.inputs["type"] == "AzureMonitorWindowsAgent"
        assert extension.inputs["typeHandlerVersion"] == "1.0"
        assert extension.inputs["enableAutomaticUpgrade"] is True
        assert extension.inputs["autoUpgradeMinorVersion"] is True
        # The region comes from the VM lookup (offline: gatewatch:azure.location).
        assert extension.inputs["location"] == "japaneast"


def test_run_command_installs_the_service_synchronously_and_idempotently() -> None:
    rec = plan(with_vms())
    commands = {c.inputs["vmName"]: c for c in rec.by_type(RUN_COMMAND)}
    assert sorted(commands) == ["vm-app-01", "vm-app-02"]
    for command in commands.values():
        assert command.inputs["asyncExecution"] is False
        assert command.inputs["treatFailureAsDeploymentFailure"] is True
        assert 0 < command.inputs["timeoutInSeconds"] <= 3600
        assert command.inputs["tags"]["managed-by"] == "gatewatch"
        assert command.inputs["source"]["script"] == install_script()


def _ps_regex(script: str, variable: str) -> tuple[re.Pattern[str], str]:
    """The pattern `$<variable> = [regex]'...'` of the install script, and the replacement its
    `$<variable>.Replace($text, '...')` writes (PowerShell single-quoted: '' is a quote)."""
    (pattern,) = re.findall(rf"^\${variable} = \[regex\]'((?:[^']|'')*)'$", script, re.M)
    (replacement,) = re.findall(rf"\${variable}\.Replace\(\$text, '((?:[^']|'')*)'\)", script)
    return re.compile(pattern.replace("''", "'")), replacement.replace("''", "'")


# A stand-in for the two upstream lines the script patches (not upstream's code): the
# approval call inside the polling loop, and the IMDS URI; the function definition must
# survive (it is never called once the call is gone).
UPSTREAM_SHAPE = (
    "function ApproveScheduledEvent($eventId, $docIncarnation, $uri)\r\n"
    "{\r\n}\r\n"
    "    $uri = 'http://169.254.169.254/metadata/scheduledevents?api-version=2017-11-01'\r\n"
    "        Write-EventLog -EventId 1234 -Message $msg\r\n"
    "            ApproveScheduledEvent $event.EventId $doc.DocumentIncarnation $uri \r\n"
    "    }\r\n"
)


def test_install_script_patches_remove_the_approval_call_and_raise_the_api_version() -> None:
    script = install_script()
    approve, approve_with = _ps_regex(script, "approve")
    api, api_with = _ps_regex(script, "api")
    assert len(approve.findall(UPSTREAM_SHAPE)) == 1
    assert len(api.findall(UPSTREAM_SHAPE)) == 1
    patched = api.sub(api_with, approve.sub(approve_with, UPSTREAM_SHAPE))
    calls = [line for line in patched.splitlines()
             if re.match(r"\s*ApproveScheduledEvent\b", line)]
    assert calls == []
    assert "function ApproveScheduledEvent(" in patched
    assert "api-version=2020-07-01" in patched and "2017-11-01" not in patched
    # Guarded: a changed upstream file (no match, or two) stops the install.
    assert script.count("Matches($text).Count -ne 1") == 2


def test_install_script_reinstalls_on_a_new_pin_or_patch_and_proves_the_poller() -> None:
    script = install_script()
    (commit,) = re.findall(r"^\$Commit = '([0-9a-f]{40})'$", script, re.M)
    assert "AzureScheduledEventsService/$Commit/Powershell/SchService.ps1" in script
    (marker,) = re.findall(r'^\$Marker = "(.*)"$', script, re.M)
    assert "$Commit" in marker and "$PatchVersion" in marker
    assert re.search(r"^\$PatchVersion = \d+", script, re.M)
    assert commit == "1bed119af413e7336106a8a2437f67524ab7e251"
    # The poller is proven by upstream -Status (exit 1 without the -Service process), both
    # when the service was already there and after a fresh install.
    assert len(re.findall(r"^\s*Assert-PollerRunning$", script, re.M)) == 2
    assert "-File $Installed -Status" in script
    # A renamed stock copy is found by its display name, and removed even without its file.
    assert "$DisplayName = 'AzureScheduledEvents'" in script
    assert "$_.DisplayName -eq $DisplayName" in script
    assert "sc.exe delete $service.Name" in script and "Stop-Service -Name $service.Name" in script
    assert "raw.githubusercontent.com" in script.split("$ErrorActionPreference")[0]


def test_flags_skip_the_agent_and_the_service_but_keep_the_association() -> None:
    rec = plan(with_vms({"id": VM1, "agentManagedElsewhere": True},
                        {"id": VM2, "scheduledEventsServiceInstalled": True}))
    assert [e.inputs["vmName"] for e in rec.by_type(EXTENSION)] == ["vm-app-02"]
    assert [c.inputs["vmName"] for c in rec.by_type(RUN_COMMAND)] == ["vm-app-01"]
    assert len(rec.by_type(DCRA)) == 2


def test_every_vm_is_looked_up_and_the_plan_says_what_was_assumed() -> None:
    rec = plan(with_vms({"id": VM1}, {"id": VM2, "osType": "Windows"}))
    notes = {c.args["vmName"]: c.note for c in rec.calls
             if c.token == "azure-native:compute:getVirtualMachine"}
    assert "offline default" in notes["vm-app-01"]
    assert "(from config)" in notes["vm-app-02"]


def test_a_linux_vm_fails_the_run_naming_the_key_path() -> None:
    linux = {"rg-app2/vm-app-02": {"storageProfile": {"osDisk": {"osType": "Linux"}}}}
    with pytest.raises(RunError, match=r"gatewatch:azure\.vms\[1\]\.id: .*runs Linux"):
        plan(with_vms({"id": VM1}, {"id": VM2, "agentManagedElsewhere": True,
                                    "scheduledEventsServiceInstalled": True}),
             offline_lookups=linux)


UAI_1 = (f"/subscriptions/{SUB}/resourceGroups/rg-id/providers/"
         "Microsoft.ManagedIdentity/userAssignedIdentities/id-b")
UAI_2 = UAI_1.replace("id-b", "id-a")


def _agent(rec: Recording, vm_name: str) -> Any:
    return next(e for e in rec.by_type(EXTENSION) if e.inputs["vmName"] == vm_name)


def test_agent_with_only_user_assigned_identities_is_told_which_one_to_use() -> None:
    only_uai = {"rg-app/vm-app-01": {"identity": {
        "type": "UserAssigned",
        "userAssignedIdentities": {UAI_1: {"principalId": "p1", "clientId": "c1"},
                                   UAI_2: {"principalId": "p2", "clientId": "c2"}}}}}
    rec = plan(with_vms({"id": VM1}, {"id": VM2}), offline_lookups=only_uai)
    # Microsoft's shape (the AMA user-assigned-identity policies): mi_res_id + resource id,
    # the first identity by resource id so the choice is stable.
    assert _agent(rec, "vm-app-01").inputs["settings"] == {"authentication": {
        "managedIdentity": {"identifier-name": "mi_res_id", "identifier-value": UAI_2}}}
    # System-assigned (the offline default): the agent's default, no settings.
    assert "settings" not in _agent(rec, "vm-app-02").inputs


def test_agent_uses_the_system_assigned_identity_when_the_vm_has_both() -> None:
    both = {"rg-app/vm-app-01": {"identity": {
        "type": "SystemAssigned, UserAssigned",
        "userAssignedIdentities": {UAI_1: {"principalId": "p1", "clientId": "c1"}}}}}
    rec = plan(with_vms({"id": VM1}), offline_lookups=both)
    assert "settings" not in _agent(rec, "vm-app-01").inputs


def test_user_assigned_type_without_identities_fails() -> None:
    empty = {"rg-app/vm-app-01": {"identity": {"type": "UserAssigned"}}}
    with pytest.raises(RunError, match=r"vms\[0\]\.id: .*no managed identity"):
        plan(with_vms({"id": VM1}), offline_lookups=empty)


def test_dcr_is_in_the_adopted_workspaces_region() -> None:
    config = with_vms()
    config["gatewatch:azure"]["workspace"] = {"existingId": WORKSPACE_ID,
                                              "location": "westeurope"}
    rec = plan(config)
    assert rec.one(DCR).inputs["location"] == "westeurope"
    assert rec.one(DCR).inputs["destinations"]["logAnalytics"][0][
        "workspaceResourceId"] == WORKSPACE_ID
    # Not stated: gatewatch:azure.location, like a created workspace.
    config["gatewatch:azure"]["workspace"] = {"existingId": WORKSPACE_ID}
    assert plan(config).one(DCR).inputs["location"] == "japaneast"


def test_a_vm_without_managed_identity_fails_when_the_kit_installs_the_agent() -> None:
    no_identity = {"rg-app/vm-app-01": {"identity": None}}
    with pytest.raises(RunError, match=r"vms\[0\]\.id: .*no managed identity"):
        plan(with_vms({"id": VM1}), offline_lookups=no_identity)
    plan(with_vms({"id": VM1, "agentManagedElsewhere": True}), offline_lookups=no_identity)


def test_scheduled_event_rule_deploys_only_with_vms_and_uses_the_shared_identity() -> None:
    without = plan(with_vms(alerts=True) | {"gatewatch:azure": {
        **with_vms()["gatewatch:azure"], "vms": []}})
    assert "gatewatch-vm-scheduled-event" not in {r.inputs["ruleName"]
                                                  for r in without.by_type(RULE)}
    rec = plan(with_vms(), preview=False)
    rule = rec.one(RULE, "vpn-alerts-vm-scheduled-event")
    assert rule.inputs["evaluationFrequency"] == "PT1M"
    assert rule.inputs["windowSize"] == "PT5M"
    assert rule.inputs["autoMitigate"] is True
    assert rule.property_dependencies["identity"] == [rec.one(IDENTITY).urn]
    assert rule.property_dependencies["actions"] == [rec.one(ACTION_GROUP).urn]
    dims = [d["name"] for d in rule.inputs["criteria"]["allOf"][0]["dimensions"]]
    assert {"Computer", "_ResourceId", "EventType", "NotBefore"} <= set(dims)


def test_vms_without_alerts_still_collect_but_deploy_no_rule() -> None:
    rec = plan(with_vms(alerts=False))
    assert len(rec.by_type(DCRA)) == 2 and rec.by_type(RULE) == []


def test_no_vms_declares_no_vm_resources_and_no_lookup() -> None:
    rec = plan(base_config())
    assert not any(rec.by_type(t) for t in (COMPONENT, DCR, DCRA, EXTENSION, RUN_COMMAND))
    assert rec.calls == []
