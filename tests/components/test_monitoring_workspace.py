"""Graph assertions for MonitoringWorkspace: created versus adopted."""

from __future__ import annotations

from tests.support.graph import RESOURCE_GROUP, SETTING, WORKSPACE, plan
from tests.support.stacks import WORKSPACE_ID, base_config


def test_created_workspace_is_pergb2018_with_retention_cap_and_no_local_auth() -> None:
    config = base_config()
    config["gatewatch:azure"]["workspace"]["dailyQuotaGb"] = 2.5
    rec = plan(config, preview=False)
    component = rec.one("gatewatch:azure:MonitoringWorkspace", "monitoring")
    group = rec.one(RESOURCE_GROUP, "monitoring-rg")
    workspace = rec.one(WORKSPACE, "monitoring-workspace")
    assert group.inputs["resourceGroupName"] == "rg-gatewatch-test"
    assert group.inputs["location"] == "japaneast"
    assert workspace.inputs["sku"] == {"name": "PerGB2018"}
    assert workspace.inputs["retentionInDays"] == 60
    assert workspace.inputs["workspaceCapping"] == {"dailyQuotaGb": 2.5}
    assert workspace.inputs["features"] == {"disableLocalAuth": True}
    assert workspace.inputs["resourceGroupName"] == "rg-gatewatch-test"
    assert workspace.property_dependencies["resourceGroupName"] == [group.urn]
    assert {group.parent, workspace.parent} == {component.urn}


def test_no_daily_cap_unless_configured() -> None:
    workspace = plan(base_config()).one(WORKSPACE, "monitoring-workspace")
    assert "workspaceCapping" not in workspace.inputs


def test_adopted_workspace_is_not_created_and_settings_point_at_it() -> None:
    config = base_config()
    config["gatewatch:azure"]["workspace"] = {"existingId": WORKSPACE_ID}
    rec = plan(config)
    assert rec.by_type(WORKSPACE) == []
    assert len(rec.by_type(RESOURCE_GROUP)) == 1  # the kit's own group is still created
    settings = rec.by_type(SETTING)
    assert len(settings) == 2
    for setting in settings:
        assert setting.inputs["workspaceId"] == WORKSPACE_ID, setting.urn
