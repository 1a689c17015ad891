"""The vendored manifest of Microsoft's API definitions (vendor/azure-api-specs/manifest.json):
for each azure-native type the kit declares, its ARM resource type, the API version the installed
pulumi-azure-native uses, where its definitions are, and how the SDK's inputs map onto the
request (path and name parameters, x-ms-client-flatten containers).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from gatewatch.paths import API_SPECS_DIR


@dataclass(frozen=True)
class TypeSpec:
    token: str
    arm_type: str
    api_version: str
    arm_schema: str  # "<file>#/<pointer>"
    bicep_types: str
    path_parameters: tuple[str, ...]
    name_parameters: tuple[str, ...]
    flatten: tuple[str, ...]
    arm_schema_scope: str  # "resource" (a template resource) or "properties" (its properties)


@functools.cache
def manifest() -> dict[str, TypeSpec]:
    data = json.loads((API_SPECS_DIR / "manifest.json").read_text(encoding="utf-8"))
    return {
        token: TypeSpec(
            token=token, arm_type=e["armType"], api_version=e["apiVersion"],
            arm_schema=e["armSchema"], bicep_types=e["bicepTypes"],
            path_parameters=tuple(e["pathParameters"]),
            name_parameters=tuple(e["nameParameters"]), flatten=tuple(e.get("flatten", ())),
            arm_schema_scope=e.get("armSchemaScope", "resource"))
        for token, e in data["types"].items()
    }
