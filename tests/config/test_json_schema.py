"""The JSON Schema editors use and the key list in Pulumi.yaml come from the config model and
stay current; the example stacks pass the schema, and the schema catches what an editor should
underline."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import yaml

from gatewatch.config import json_schema
from gatewatch.config.fields import model_at
from gatewatch.config.model import StackConfig
from gatewatch.paths import PROJECT_FILE, STACK_SCHEMA_FILE
from gatewatch.paths import PROJECT_ROOT as ROOT


def validator() -> jsonschema.Draft202012Validator:
    doc = json.loads(STACK_SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(doc)
    return jsonschema.Draft202012Validator(doc)


def test_committed_schema_is_current() -> None:
    assert STACK_SCHEMA_FILE.read_text(encoding="utf-8") == json_schema.schema_text(), (
        "schema/stack-config.schema.json is stale: run "
        "python -m gatewatch.config.json_schema --write")


def test_pulumi_yaml_key_list_is_generated_from_the_model() -> None:
    current = PROJECT_FILE.read_text(encoding="utf-8")
    assert current == json_schema.pulumi_yaml_text(current), (
        "the key list in Pulumi.yaml is stale: run python -m gatewatch.config.json_schema --write")
    for key in ("gatewatch:azure.workspace.dailyQuotaGb", "gatewatch:azure.gateways[].vpnType",
                "gatewatch:aws.logGroup.kmsKeyArn", "gatewatch:azure.alerts.webhooks[].uri"):
        assert f"#   {key}  " in current


def _fields(model: Any, seen: set[str]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if model.__name__ in seen:
        return out
    seen.add(model.__name__)
    for name, field in model.model_fields.items():
        out.append((f"{model.__name__}.{name}", field))
        for loc in ([field.alias or name], [field.alias or name, 0]):
            nested = model_at(model, loc)
            if nested is not None:
                out += _fields(nested, seen)
    return out


def test_every_key_is_documented_on_the_model() -> None:
    fields = _fields(StackConfig, set())
    assert len(fields) > 40
    missing = [name for name, field in fields if not field.description]
    assert missing == []


@pytest.mark.parametrize("stack", ["Pulumi.dev.yaml", "Pulumi.prod.yaml"])
def test_example_stacks_pass_the_schema(stack: str) -> None:
    doc = yaml.safe_load((ROOT / stack).read_text(encoding="utf-8"))
    assert [e.message for e in validator().iter_errors(doc)] == []


def test_schema_flags_what_an_editor_should_underline() -> None:
    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    config = doc["config"]
    config["gatewatch:azur"] = {}
    config["gatewatch:azure"]["location"] = "narnia"
    config["gatewatch:azure"]["workspace"]["retentionDays"] = 90
    config["gatewatch:azure"]["workspace"]["dailyQuotaGb"] = 1e30
    config["gatewatch:aws"]["logOutputFormat"] = "JSON"
    config["aws:region"] = "ap-northeast-1"  # another namespace: the provider's business
    errors = {"/".join(str(p) for p in e.absolute_path): e.validator or e.message
              for e in validator().iter_errors(doc)}
    assert errors == {
        # jsonschema reports a `false` pattern schema at the mapping, not at the key
        "config": "False schema does not allow {}",
        "config/gatewatch:azure/location": "enum",
        "config/gatewatch:azure/workspace": "additionalProperties",
        "config/gatewatch:azure/workspace/dailyQuotaGb": "anyOf",
        "config/gatewatch:aws/logOutputFormat": "enum",
    }


def test_encrypted_values_pass_the_schema_where_the_kit_accepts_them() -> None:
    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    alerts = doc["config"]["gatewatch:azure"]["alerts"]
    alerts["webhooks"][0]["uri"] = {"secure": "v1:AAAA"}
    alerts["emails"][0] = {"secure": "v1:BBBB"}
    assert list(validator().iter_errors(doc)) == []
    doc["config"]["gatewatch:azure"]["location"] = {"secure": "v1:CCCC"}
    assert [e.validator for e in validator().iter_errors(doc)] == ["enum"]


def test_vscode_maps_stack_files_to_the_schema() -> None:
    settings = json.loads((ROOT / ".vscode" / "settings.json").read_text(encoding="utf-8"))
    mapping = settings["yaml.schemas"]
    assert (ROOT / next(iter(mapping))).resolve() == STACK_SCHEMA_FILE
    assert mapping["./schema/stack-config.schema.json"] == ["Pulumi.*.yaml"]


@pytest.mark.parametrize("stack", ["Pulumi.dev.yaml", "Pulumi.prod.yaml"])
def test_example_stacks_name_the_schema_for_any_yaml_language_server(stack: str) -> None:
    first = (ROOT / stack).read_text(encoding="utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    assert (ROOT / first.removeprefix(prefix)).resolve() == STACK_SCHEMA_FILE
