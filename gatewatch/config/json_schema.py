"""The stack config model as a JSON Schema for editors, and as the key list in Pulumi.yaml.

    python -m gatewatch.config.json_schema            print the schema
    python -m gatewatch.config.json_schema --write
        rewrite schema/stack-config.schema.json and the key
                                          list in Pulumi.yaml from gatewatch/config/model.py

tests/config/test_json_schema.py fails when either is stale. VS Code's YAML extension (Red Hat)
validates and completes Pulumi.<stack>.yaml with it: .vscode/settings.json maps the file names
to the schema (`yaml.schemas`).
"""

from __future__ import annotations

import json
import sys
import textwrap
from typing import Any

from pydantic import BaseModel

from gatewatch.config.fields import SECRET_REF, model_at
from gatewatch.config.model import NAMESPACE, SECTIONS, StackConfig
from gatewatch.paths import PROJECT_FILE, PROJECT_ROOT, STACK_SCHEMA_FILE

BEGIN = ("# --- keys: generated from gatewatch/config/model.py by "
         "`python -m gatewatch.config.json_schema --write` ---")
END = "# --- end of generated keys ---"

_SECRET = {
    "type": "object",
    "description": "A Pulumi secret (`pulumi config set --secret`). The offline plan cannot "
                   "decrypt it: text keys accept it unchecked; `pulumi preview` checks it.",
    "properties": {"secure": {"type": "string"}},
    "required": ["secure"],
    "additionalProperties": False,
}


def _tidy(node: Any) -> Any:
    """Drop pydantic's generated titles ("Retentionindays": descriptions say more); point
secret markers at PulumiSecret."""
    if isinstance(node, list):
        return [_tidy(n) for n in node]
    if not isinstance(node, dict):
        return node
    if node == SECRET_REF:
        return {"$ref": "#/$defs/PulumiSecret"}
    return {k: _tidy(v) for k, v in node.items()
            if not (k == "title" and isinstance(v, str))}


def stack_schema() -> dict[str, Any]:
    model = StackConfig.model_json_schema(by_alias=True, mode="validation")
    defs = {name: _tidy(d) for name, d in model.get("$defs", {}).items()}
    defs["PulumiSecret"] = _SECRET
    sections = {f"{NAMESPACE}:{name}": {"$ref": f"#/$defs/{_ref(model, name)}"}
                for name in SECTIONS}
    others = "|".join(SECTIONS)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://gatewatch.invalid/schema/stack-config.schema.json",
        "title": "gatewatch stack file (Pulumi.<stack>.yaml)",
        "description": "Generated from gatewatch/config/model.py by "
                       "`python -m gatewatch.config.json_schema "
                       "--write`; do not edit. `gatewatch plan` checks the same rules, and more "
                       "(cross-key rules such as a gateway's region against the maintenance "
                       "window).",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "description": "Stack settings. gatewatch reads the gatewatch namespace; other "
                               "namespaces (azure-native:, aws:) belong to their providers.",
                "properties": sections,
                "patternProperties": {f"^{NAMESPACE}:(?!({others})$)": False},
            },
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
        },
        "$defs": defs,
    }


def _ref(model: dict[str, Any], section: str) -> str:
    prop = model["properties"][section]
    for option in prop.get("anyOf", [prop]):
        if "$ref" in option:
            return str(option["$ref"]).rsplit("/", 1)[-1]
    raise ValueError(f"no model for section {section}")


def schema_text() -> str:
    return json.dumps(stack_schema(), indent=2, ensure_ascii=False) + "\n"


def _entries(model: type[BaseModel], path: str, out: list[tuple[str, str]]) -> None:
    for name, field in model.model_fields.items():
        alias = field.alias or name
        key = f"{path}{alias}" if path.endswith(":") else f"{path}.{alias}"
        out.append((key, field.description or ""))
        nested = model_at(model, [alias])
        items = model_at(model, [alias, 0])
        if nested is not None:
            _entries(nested, key, out)
        elif items is not None:
            _entries(items, f"{key}[]", out)


def key_lines() -> list[str]:
    """The documented key list: one entry per key, from the models' field descriptions."""
    entries: list[tuple[str, str]] = []
    for section in SECTIONS:
        model = model_at(StackConfig, [section])
        assert model is not None
        _entries(model, f"{NAMESPACE}:{section}", entries)
    out: list[str] = []
    for key, text in entries:
        out += textwrap.wrap(f"{key}  {text}", 96, initial_indent="#   ",
                             subsequent_indent="#       ", break_on_hyphens=False)
    return [BEGIN, *out, END]


def pulumi_yaml_text(current: str) -> str:
    """Pulumi.yaml with its generated key list replaced."""
    lines = current.splitlines()
    start, stop = lines.index(BEGIN), lines.index(END)
    return "\n".join([*lines[:start], *key_lines(), *lines[stop + 1:]]) + "\n"


def main(argv: list[str]) -> int:
    if argv == ["--write"]:
        STACK_SCHEMA_FILE.parent.mkdir(exist_ok=True)
        STACK_SCHEMA_FILE.write_text(schema_text(), encoding="utf-8")
        PROJECT_FILE.write_text(pulumi_yaml_text(PROJECT_FILE.read_text(encoding="utf-8")),
                               encoding="utf-8")
        print(f"wrote {STACK_SCHEMA_FILE.relative_to(PROJECT_ROOT)} and the key list in "
              "Pulumi.yaml")
        return 0
    if argv:
        print("usage: python -m gatewatch.config.json_schema [--write]", file=sys.stderr)
        return 2
    sys.stdout.write(schema_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
