"""Run the real program under the recording harness with a config dict."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatewatch.checks.model import Resource
from gatewatch.offline.recording import Recording
from gatewatch.offline.runtime import run_program

SETTING = "azure-native:monitor:DiagnosticSetting"
WORKSPACE = "azure-native:operationalinsights:Workspace"
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"


def plan(config: Mapping[str, Any], *, preview: bool = True, **kwargs: Any) -> Recording:
    return run_program(config, stack="test", preview=preview, **kwargs)


def setting_for(rec: Recording, gateway_id: str) -> Resource:
    found = [r for r in rec.by_type(SETTING) if r.inputs["resourceUri"] == gateway_id]
    assert len(found) == 1, f"expected one diagnostic setting for {gateway_id}, found {found}"
    return found[0]


def categories(setting: Resource) -> list[str]:
    return [log["category"] for log in setting.inputs["logs"] if log["enabled"]]
