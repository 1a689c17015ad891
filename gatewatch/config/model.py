"""The stack config model: one typed tree, validated before any resource is declared.

`__main__.py`, the command line and the tests all read config through `parse_config`, so an
error is reported the same way everywhere: one line per problem naming the key path
(`gatewatch:azure.gateways[1].id`), what is wrong, and the fix.

Keys live in the `gatewatch` namespace as structured values (`pulumi config set --path
azure.workspace.retentionInDays 90`). Each key is declared once, as a field of a frozen pydantic
model: StackConfig below, its sections in gatewatch/config/azure.py (with alerts.py and
maintenance_window.py) and gatewatch/config/aws.py. A field carries its type, default, rule (the
rule metadata of gatewatch/config/fields.py) and description. From the same models come the
JSON Schema editors use (schema/stack-config.schema.json) and the key list in Pulumi.yaml
(gatewatch/config/json_schema.py; a test keeps both current).

Adding a key: add a field to its section's model (snake_case; the YAML key is its camelCase
alias) with a `description=`, a type from gatewatch/config/fields.py or the section's value
types carrying the rule and its message, and a rule across fields as a `model_validator`
raising through `Issues`; then run `python -m gatewatch.config.json_schema --write` and commit
the schema and Pulumi.yaml it rewrites. Reading a stack file: gatewatch/config/stack_file.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from pydantic import Field, ValidationError

from gatewatch.config.aws import AwsConfig
from gatewatch.config.azure import AzureConfig
from gatewatch.config.base import ConfigModel
from gatewatch.config.fields import problems_from
from gatewatch.errors import BadInput, Problem

NAMESPACE = "gatewatch"


class StackConfig(ConfigModel):
    """The `gatewatch` namespace of a stack's config: `gatewatch:azure` and/or
    `gatewatch:aws`."""

    azure: AzureConfig | None = Field(default=None, description="The Azure side.")
    aws: AwsConfig | None = Field(default=None, description="The AWS side.")


SECTIONS: Final = tuple(StackConfig.model_fields)


# The azure-native provider's own region setting: gatewatch:azure.location falls back to it.
PROVIDER_LOCATION_KEY: Final = "azure-native:location"
LOCATION_PATH: Final = f"{NAMESPACE}:azure.location"


def _with_provider_location(ours: dict[str, Any], raw: Mapping[str, Any]) -> bool:
    """Fill an absent gatewatch:azure.location from azure-native:location (validated by the same
    rules); True when it did. An explicit `location: null` is not absent: it stays an error."""
    azure, provider = ours.get("azure"), raw.get(PROVIDER_LOCATION_KEY)
    if isinstance(azure, Mapping) and "location" not in azure and provider is not None:
        ours["azure"] = {**azure, "location": provider}
        return True
    return False


def _location_problem(problem: Problem, from_provider: bool) -> Problem:
    """gatewatch:azure.location's problems in the words of the fallback."""
    if problem.path != LOCATION_PATH:
        return problem
    if problem.message == "missing":
        return Problem(LOCATION_PATH, f"missing, and {PROVIDER_LOCATION_KEY} is not set either",
                       f"set {LOCATION_PATH} or {PROVIDER_LOCATION_KEY} to the region's short "
                       "name, like japaneast")
    if from_provider:  # the value came from the provider's key: name that key
        return Problem(PROVIDER_LOCATION_KEY, f"{problem.message} (used for {LOCATION_PATH}, "
                       "which is not set)", problem.fix)
    return problem


def parse_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate a stack's config map (`{"gatewatch:azure": {...}, ...}`); raise BadInput
    listing every problem. Keys of other namespaces (providers' config) are left alone, except
    azure-native:location, which an absent gatewatch:azure.location takes."""
    ours = {str(key).partition(":")[2]: value for key, value in raw.items()
            if str(key).partition(":")[0] == NAMESPACE}
    from_provider = _with_provider_location(ours, raw)
    problems: list[Problem] = []
    if not ours:
        problems.append(Problem(f"{NAMESPACE}:azure", "missing",
                                "set gatewatch:azure and/or gatewatch:aws in the stack file "
                                "(see Pulumi.dev.yaml for an example)"))
    for name, value in ours.items():
        if value is None and name in SECTIONS:
            # A section must never vanish without a reason: `pulumi up` would delete it.
            problems.append(Problem(f"{NAMESPACE}:{name}", "is empty",
                                    f"fill in {NAMESPACE}:{name} or remove the key"))
    try:
        config = StackConfig.model_validate(ours)
    except ValidationError as error:
        problems.extend(_location_problem(p, from_provider)
                        for p in problems_from(error, StackConfig, f"{NAMESPACE}:"))
        raise BadInput(problems) from None
    if problems:
        raise BadInput(problems)
    return config


def _decode(value: Any) -> Any:
    """Pulumi hands structured config to the program as JSON strings."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def from_pulumi() -> StackConfig:
    """Read the running stack's config (real engine or mocks)."""
    import pulumi.runtime.config as runtime_config

    raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return parse_config({k: _decode(v) for k, v in raw.items()})
