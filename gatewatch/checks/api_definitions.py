"""Judge every Azure resource the program declares by Microsoft's API definitions.

Each recorded azure-native resource is turned into the ARM request body the way
pulumi-azure-native builds it (provider/pkg/convert/sdkInputsToRequestBody.go): path
parameters dropped; inputs that are top-level members of the resource (location, tags,
identity, kind, sku, ...) stay at the top; the rest go under `properties`, into their
x-ms-client-flatten container where the definition has one; string sets given as lists
(identity.userAssignedIdentities) become `{id: {}}` maps; a required `properties` is always
sent. The body is then validated, for the exact API version the installed SDK uses for the type,
against the two machine-readable forms of Microsoft's definitions vendored in
vendor/azure-api-specs (see its SOURCE.json for the commits):

- bicep-types (Azure/bicep-types-az): closed objects (an unknown or read-only property is an
  error), required flags, closed enums, types, discriminated unions, patterns, lengths, ranges;
- ARM template schemas (Azure/azure-resource-manager-schemas): enums, types, required,
  patterns, min/max as ARM deployments check them.

A declared azure-native type with no vendored definition is itself a problem, so a new resource
cannot slip past. Unknown values (a preview) and secrets are not judged, only their presence.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import jsonschema
import referencing
from referencing.jsonschema import DRAFT4

from gatewatch.checks.api_specs import TypeSpec, manifest
from gatewatch.checks.model import SECRET, UNKNOWN_TEXT, Finding, Resource, json_value
from gatewatch.paths import API_SPECS_DIR

AZURE_NATIVE_PREFIX = "azure-native:"
_EXPRESSION_REF = "https://schema.management.azure.com/schemas/common/definitions.json" \
                  "#/definitions/expression"
_REQUIRED, _READ_ONLY = 1, 2


# --- bicep-types -> JSON Schema ---------------------------------------------------------------

@functools.cache
def _bicep_file(rel: str) -> list[dict[str, Any]]:
    types: list[dict[str, Any]] = json.loads((API_SPECS_DIR / rel).read_text(encoding="utf-8"))
    return types


def _index(ref: Mapping[str, str]) -> int:
    return int(ref["$ref"].split("/")[-1])


def _limits(t: Mapping[str, Any], schema: dict[str, Any], **names: str) -> dict[str, Any]:
    """`schema` with the bicep-type's limits that `t` sets, under their JSON Schema names."""
    return {**schema, **{dst: t[src] for src, dst in names.items() if src in t}}


def _bicep_def(types: list[dict[str, Any]], i: int) -> dict[str, Any]:
    t = types[i]
    kind = t["$type"]
    if kind == "StringType":
        return _limits(t, {"type": "string"}, pattern="pattern", minLength="minLength",
                       maxLength="maxLength")
    if kind == "StringLiteralType":
        return {"const": t["value"]}
    if kind == "IntegerType":
        # bicep-types writes swagger `number` (a double, e.g. a metric threshold) as IntegerType
        # too; the ARM template schema keeps integer and number apart and judges that.
        return _limits(t, {"type": "number"}, minValue="minimum", maxValue="maximum")
    if kind == "BooleanType":
        return {"type": "boolean"}
    if kind == "AnyType":
        return {}
    if kind == "ArrayType":
        return _limits(t, {"type": "array", "items": {"$ref": f"#/$defs/t{_index(t['itemType'])}"}},
                       minLength="minItems", maxLength="maxItems")
    if kind == "UnionType":
        members = [types[_index(e)] for e in t["elements"]]
        if all(m["$type"] == "StringLiteralType" for m in members):
            return {"enum": [m["value"] for m in members]}  # a closed enum
        if all(m["$type"] in ("StringLiteralType", "StringType") for m in members):
            return {"type": "string"}  # an extensible enum (modelAsString): any string
        return {"anyOf": [{"$ref": f"#/$defs/t{_index(e)}"} for e in t["elements"]]}
    if kind == "ObjectType":
        return _object_schema(t.get("properties", {}), t.get("additionalProperties"))
    if kind == "DiscriminatedObjectType":
        disc = t["discriminator"]
        branches = []
        for value, ref in t["elements"].items():
            element = types[_index(ref)]
            merged = {**t.get("baseProperties", {}), **element.get("properties", {})}
            branch = _object_schema(merged, element.get("additionalProperties"))
            branches.append({"if": {"properties": {disc: {"const": value}}, "required": [disc]},
                             "then": branch})
        return {"type": "object", "required": [disc],
                "properties": {disc: {"enum": list(t["elements"])}}, "allOf": branches}
    return {}  # resource/function types: never reached from a body


def _object_schema(props: Mapping[str, Any], additional: Mapping[str, str] | None
                   ) -> dict[str, Any]:
    writable = {k: p for k, p in props.items() if not p.get("flags", 0) & _READ_ONLY}
    return {
        "type": "object",
        "properties": {k: {"$ref": f"#/$defs/t{_index(p['type'])}"} for k, p in writable.items()},
        "required": sorted(k for k, p in writable.items() if p.get("flags", 0) & _REQUIRED),
        # Closed unless the definition says it is a map: an unknown or read-only property
        # is an error (Azure ignores or rejects it; either way it is not what the kit meant).
        "additionalProperties": ({"$ref": f"#/$defs/t{_index(additional)}"}
                                 if additional else False),
    }


@functools.cache
def _bicep_body_index(rel: str, arm_type: str, api_version: str) -> int:
    types = _bicep_file(rel)
    wanted = f"{arm_type}@{api_version}".lower()
    for t in types:
        if t["$type"] == "ResourceType" and t["name"].lower() == wanted:
            return _index(t["body"])
    raise KeyError(f"{arm_type}@{api_version} is not in {rel}")


@functools.cache
def _bicep_validator(rel: str, arm_type: str, api_version: str) -> jsonschema.Draft202012Validator:
    types = _bicep_file(rel)
    root = _bicep_body_index(rel, arm_type, api_version)
    schema = {"$ref": f"#/$defs/t{root}",
              "$defs": {f"t{i}": _bicep_def(types, i) for i in range(len(types))}}
    return jsonschema.Draft202012Validator(schema)


def _bicep_props(rel: str, i: int) -> dict[str, Any]:
    t = _bicep_file(rel)[i]
    return dict(t.get("properties", {})) if t["$type"] == "ObjectType" else {}


# --- ARM template schemas ----------------------------------------------------------------------

def _fold_base_into_alternatives(node: Any) -> Any:
    """The template generator writes a base model's members next to a oneOf of its derived
    models (2018-03-01 metricAlerts criteria); read literally, the base `additionalProperties`
    rejects every valid body. Fold the base into each alternative, as
    Azure/azure-resource-manager-schemas PR #736 does."""
    if isinstance(node, list):
        return [_fold_base_into_alternatives(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _fold_base_into_alternatives(v) for k, v in node.items()}
    alternatives = node.get("oneOf")
    if (isinstance(alternatives, list) and ("additionalProperties" in node or "properties" in node)
            and all(isinstance(a, dict) and "properties" in a for a in alternatives)):
        base = {k: v for k, v in node.items() if k in ("properties", "required", "type")}
        folded = []
        for alt in alternatives:
            merged = {**base, **alt}
            merged["properties"] = {**node.get("properties", {}), **alt.get("properties", {})}
            merged["required"] = sorted({*node.get("required", []), *alt.get("required", [])})
            folded.append(merged)
        node = {k: v for k, v in node.items()
                if k not in ("additionalProperties", "properties", "required")}
        node["oneOf"] = folded
    return node


@functools.cache
def _arm_registry() -> referencing.Registry[Any]:
    resources = []
    for path in sorted((API_SPECS_DIR / "arm-schemas").rglob("*.json")):
        doc = _fold_base_into_alternatives(json.loads(path.read_text(encoding="utf-8")))
        uri = str(doc.get("id", "")).rstrip("#")
        resources.append((uri, DRAFT4.create_resource(doc)))
    return referencing.Registry().with_resources(resources)


@functools.cache
def _arm_file_uri(rel_file: str) -> str:
    doc = json.loads((API_SPECS_DIR / rel_file).read_text(encoding="utf-8"))
    return str(doc["id"]).rstrip("#")


@functools.cache
def _arm_validator(arm_schema: str) -> jsonschema.Draft4Validator:
    rel_file, pointer = arm_schema.split("#")
    return jsonschema.Draft4Validator({"$ref": f"{_arm_file_uri(rel_file)}#{pointer}"},
                                      registry=_arm_registry())


# --- request body ------------------------------------------------------------------------------

def request_body(spec: TypeSpec, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(resource name, ARM request body) from the SDK inputs, as pulumi-azure-native sends it."""
    rel = spec.bicep_types
    root = _bicep_body_index(rel, spec.arm_type, spec.api_version)
    # Read-only members (id, type, apiVersion) are never inputs: a VM extension's `type` input
    # is its properties.type (the extension's type), not the resource type.
    top = {k: p for k, p in _bicep_props(rel, root).items()
           if not p.get("flags", 0) & _READ_ONLY}
    props_ref = top.get("properties", {}).get("type")
    inner = _bicep_props(rel, _index(props_ref)) if props_ref else {}
    containers = {c: _bicep_props(rel, _index(inner[c]["type"])) for c in spec.flatten
                  if c in inner}
    body: dict[str, Any] = {}
    for key, value in inputs.items():
        if key in spec.path_parameters:
            continue
        if key in top and key not in ("properties", "name"):
            body[key] = value
        elif key in inner:
            body.setdefault("properties", {})[key] = value
        elif any(key in members for members in containers.values()):
            container = next(c for c, members in containers.items() if key in members)
            body.setdefault("properties", {}).setdefault(container, {})[key] = value
        else:
            body[key] = value  # no home in the definition: left where validation reports it
    if props_ref and top["properties"].get("flags", 0) & _REQUIRED:
        body.setdefault("properties", {})  # PR #2856: required containers are always sent
    name = "/".join(str(inputs.get(p, UNKNOWN_TEXT)) for p in spec.name_parameters)
    return name, _string_sets(_integers(body), rel, root)


def _integers(value: Any) -> Any:
    """Pulumi's wire format carries every number as a double; the provider writes whole numbers
    as integers (by the schema's type) before sending, so 90.0 arrives as 90."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _integers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integers(v) for v in value]
    return value


def _sdk_name(wire: str) -> str:
    """The SDK's name for a wire name with a dot (`odata.type` -> `odataType`)."""
    return re.sub(r"\.(\w)", lambda m: m.group(1).upper(), wire)


def _members(value: dict[str, Any], props: Mapping[str, Any], rel: str) -> dict[str, Any]:
    wire = {_sdk_name(k): k for k in props if "." in k}
    out = {}
    for key, item in value.items():
        name = key if key in props else wire.get(key, key)  # the provider sends the wire name
        out[name] = _string_sets(item, rel, _index(props[name]["type"])) if name in props \
            else item
    return out


def _string_sets(value: Any, rel: str, i: int) -> Any:
    """Shape SDK values as the wire: lists given where the definition has a map of objects
    become `{item: {}}`; SDK names of dotted wire names (odataType) get their wire name."""
    types = _bicep_file(rel)
    t = types[i]
    if t["$type"] == "ObjectType" and isinstance(value, dict):
        return _members(value, t.get("properties", {}), rel)
    if t["$type"] == "ObjectType" and isinstance(value, list) and not t.get("properties") \
            and t.get("additionalProperties") and all(isinstance(v, str) for v in value):
        return {v: {} for v in value}
    if t["$type"] == "ArrayType" and isinstance(value, list):
        return [_string_sets(v, rel, _index(t["itemType"])) for v in value]
    if t["$type"] == "DiscriminatedObjectType" and isinstance(value, dict):
        disc = t["discriminator"]
        element = t["elements"].get(value.get(disc, value.get(_sdk_name(disc))))
        props = {**t.get("baseProperties", {}),
                 **(types[_index(element)].get("properties", {}) if element else {})}
        return _members(value, props, rel)
    return value


# --- validation --------------------------------------------------------------------------------

def _path(error: jsonschema.ValidationError) -> str:
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _is_expression(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("$ref") == _EXPRESSION_REF


def _leaves(error: jsonschema.ValidationError) -> Iterator[jsonschema.ValidationError]:
    """The errors that say what is wrong: inside oneOf/anyOf, skip the ARM-expression
    alternative (a template may put "[...]" anywhere) and descend into the real one(s)."""
    if not error.context:
        yield error
        return
    alternatives = error.schema.get(error.validator, []) if isinstance(error.schema, dict) else []
    real = [e for e in error.context
            if not (e.relative_schema_path and isinstance(e.relative_schema_path[0], int)
                    and e.relative_schema_path[0] < len(alternatives)
                    and _is_expression(alternatives[e.relative_schema_path[0]]))]
    if not real:
        yield error
        return
    # Several real alternatives (a discriminated oneOf): leave out those whose discriminator
    # (a one-value enum, e.g. odata.type) does not match, then report the closest match.
    indexes = {e.relative_schema_path[0] for e in real if e.relative_schema_path}
    if len(indexes) > 1:
        mismatched = {e.relative_schema_path[0] for e in real if e.relative_schema_path
                      and e.validator == "enum" and len(e.validator_value) == 1}
        chosen = [e for e in real if e.relative_schema_path
                  and e.relative_schema_path[0] not in mismatched]
        if len({e.relative_schema_path[0] for e in chosen}) == 1:
            for e in chosen:
                yield from _leaves(e)
            return
        best = jsonschema.exceptions.best_match(chosen or real)
        yield from _leaves(best) if best is not None else iter(())
        return
    for e in real:
        yield from _leaves(e)


def _judged(value: Any) -> bool:
    return not (isinstance(value, str) and value in (UNKNOWN_TEXT, SECRET))


def _errors(validator: jsonschema.protocols.Validator, doc: Any, judge: str, resource: Resource,
            source: str, optional_properties: bool = False) -> Iterator[Finding]:
    seen: set[tuple[str, str]] = set()
    for top in validator.iter_errors(doc):
        for leaf in _leaves(top):
            if not _judged(leaf.instance):
                continue  # unknown at preview, or a secret: Azure will judge it, we cannot
            if optional_properties and leaf.validator == "required" and not leaf.path \
                    and leaf.message == "'properties' is a required property":
                # Template schemas require `properties` on every resource; the API (bicep-types,
                # from the swagger's required flags) does not when nothing in it is writable or
                # required, and the provider then sends none (e.g. a resource group).
                continue
            key = (_path(leaf), leaf.message)
            if key not in seen:
                seen.add(key)
                yield Finding(judge, leaf.message, urn=resource.urn, name=resource.name,
                              type=resource.type, path=key[0], source=source)


def describe(finding: Finding) -> str:
    """One line of the plan: resource, type, where in the body, what, and which judge."""
    where = f" at {finding.path}" if finding.path else ""
    return f"{finding.resource_name} ({finding.type}){where}: {finding.message} [{finding.rule}]"


def check_resource(resource: Resource) -> list[Finding]:
    """Findings of the judges `bicep-types`, `arm-schema` (by the vendored definition each
    names as `source`) and `coverage` (a type with no vendored definition)."""
    spec = manifest().get(resource.type)
    if spec is None:
        return [Finding("coverage", "no vendored API definition for this type: add it to "
                        "vendor/azure-api-specs/manifest.json and run refresh.py",
                        urn=resource.urn, name=resource.name, type=resource.type,
                        source="vendor/azure-api-specs/manifest.json")]
    # Unknown values as `pulumi preview` shows them: present, not judged.
    inputs = json_value({**resource.inputs, **resource.secrets})
    name, body = request_body(spec, inputs)
    problems = list(_errors(_bicep_validator(spec.bicep_types, spec.arm_type, spec.api_version),
                            {"name": name, **body}, "bicep-types", resource,
                            f"vendor/azure-api-specs/{spec.bicep_types}"))
    template: Any = {"type": spec.arm_type, "apiVersion": spec.api_version, "name": name, **body}
    if spec.arm_schema_scope == "properties":
        template = body.get("properties", {})
    root = _bicep_body_index(spec.bicep_types, spec.arm_type, spec.api_version)
    props = _bicep_props(spec.bicep_types, root).get("properties", {})
    problems += _errors(_arm_validator(spec.arm_schema), template, "arm-schema", resource,
                        f"vendor/azure-api-specs/{spec.arm_schema}",
                        optional_properties=not props.get("flags", 0) & _REQUIRED)
    return problems


def azure_resources(resources: Iterable[Resource]) -> list[Resource]:
    return [r for r in resources if r.custom and r.type.startswith(AZURE_NATIVE_PREFIX)]


def check_resources(resources: Iterable[Resource]) -> list[Finding]:
    problems: list[Finding] = []
    for resource in azure_resources(resources):
        problems += check_resource(resource)
    return problems


def sdk_api_version(token: str) -> str | None:
    """The API version the installed pulumi-azure-native uses for `token`: the resource's
    docstring (on its overloaded __init__) says "Uses Azure REST API version ..."."""
    import importlib
    import inspect

    _, module, name = token.split(":")
    cls = getattr(importlib.import_module(f"pulumi_azure_native.{module}"), name, None)
    if cls is None:
        return None
    match = re.search(r"Uses Azure REST API version (\S+?)\.?\s", inspect.getsource(cls))
    return match.group(1) if match else None
