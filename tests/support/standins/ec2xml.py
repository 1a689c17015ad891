"""EC2 Query protocol, both directions, driven by botocore's own service model.

The stand-in speaks the EC2 wire format: form-encoded query parameters in, namespaced XML out.
Element and parameter names are taken from `botocore/data/ec2/2016-11-15/service-2.json`
rather than typed by hand, so a response the stand-in produces is shaped exactly like the
service's, and a request parameter the model does not define is refused (the real service
answers `UnknownParameter`) instead of being silently accepted.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape

EC2_API_VERSION = "2016-11-15"
EC2_XMLNS = f"http://ec2.amazonaws.com/doc/{EC2_API_VERSION}/"


class QueryError(Exception):
    """A request the service would reject with a 400 and this EC2 error code."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@functools.cache
def service_model() -> ServiceModel:
    """The EC2 model shipped with the installed botocore (loaded once: it is ~10 MB)."""
    return botocore.session.get_session().get_service_model("ec2", api_version=EC2_API_VERSION)


def operation(name: str) -> OperationModel:
    try:
        return service_model().operation_model(name)
    except Exception as exc:  # botocore raises OperationNotFoundError
        message = f"The action {name} is not valid for this web service."
        raise QueryError("InvalidAction", message) from exc


# --- request side ---------------------------------------------------------------------------


def _query_name(shape: Shape, default: str) -> str:
    """EC2's input naming rule (mirrors botocore.serialize.EC2Serializer)."""
    if "queryName" in shape.serialization:
        return str(shape.serialization["queryName"])
    if "name" in shape.serialization:
        name = str(shape.serialization["name"])
        return name[0].upper() + name[1:]
    return default


def _scalar_from_query(shape: Shape, raw: str, key: str) -> Any:
    if shape.type_name == "boolean":
        if raw not in ("true", "false"):
            message = f"Value ({raw}) for parameter {key} is invalid."
            raise QueryError("InvalidParameterValue", message)
        return raw == "true"
    if shape.type_name in ("integer", "long"):
        try:
            return int(raw)
        except ValueError as exc:
            raise QueryError(
                "InvalidParameterValue", f"Value ({raw}) for parameter {key} is invalid."
            ) from exc
    return raw


def _read(shape: Shape, prefix: str, params: Mapping[str, str], used: set[str]) -> Any:
    if shape.type_name == "structure":
        out: dict[str, Any] = {}
        for member_name, member in shape.members.items():
            name = _query_name(member, member_name)
            key = f"{prefix}.{name}" if prefix else name
            value = _read(member, key, params, used)
            if value is not None:
                out[member_name] = value
        return out or None
    if shape.type_name == "list":
        items = []
        index = 1
        while True:
            value = _read(shape.member, f"{prefix}.{index}", params, used)
            if value is None:
                break
            items.append(value)
            index += 1
        return items or None
    if prefix in params:
        used.add(prefix)
        return _scalar_from_query(shape, params[prefix], prefix)
    return None


def parse_request(params: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    """Turn flat query parameters into (operation name, input dict in boto3's own shape).

    Raises QueryError for what the service rejects before looking at any resource: an unknown
    action, a parameter the model does not define, a missing required member.
    """
    action = params.get("Action", "")
    if not action:
        raise QueryError("MissingAction", "The request must contain the parameter Action.")
    op = operation(action)
    used = {"Action", "Version"}
    value = _read(op.input_shape, "", params, used) or {}
    unknown = sorted(set(params) - used)
    if unknown:
        raise QueryError("UnknownParameter", f"The parameter {unknown[0]} is not recognized.")
    for required in op.input_shape.required_members:
        if required not in value:
            name = _query_name(op.input_shape.members[required], required)
            raise QueryError("MissingParameter", f"The request must contain the parameter {name}.")
    return action, value


# --- response side --------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _format_timestamp(value: dt.datetime) -> str:
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _timestamp(value: Any) -> str:
    if isinstance(value, (int, float)):
        value = dt.datetime.fromtimestamp(value, tz=dt.UTC)
    if not isinstance(value, dt.datetime):
        raise TypeError(f"timestamp expected, got {value!r}")
    # Cached: a stand-in renders the same few LastStatusChange values over and over.
    return _format_timestamp(value)


# A writer per shape: `writer(value, parts)` appends the XML of `value` to `parts`. Writers are
# built once from the model (member order, tags, enums) instead of walking the Shape objects on
# every response, which is where a stand-in answering hundreds of connections spent its time.
# They check exactly what the walk did: unknown members, scalar types, enum values.
_Writer = Callable[[Any, list[str]], None]
_WRITERS: dict[int, tuple[Shape, _Writer]] = {}


# Values EC2 answers that the service model's enums do not list. VpnState: EC2 reports
# `modifying` while a tunnel or connection change is applied; terraform-provider-aws waits on it
# after every ModifyVpnTunnelOptions and ModifyVpnConnection (internal/service/ec2,
# `vpnStateModifying = "modifying"`, `waitVPNConnectionUpdated`). botocore parses any string
# there, so the kit sees it as EC2 sends it.
OBSERVED_ENUM_VALUES: dict[str, frozenset[str]] = {"VpnState": frozenset({"modifying"})}


def _writer(shape: Shape) -> _Writer:
    cached = _WRITERS.get(id(shape))
    if cached is not None and cached[0] is shape:
        return cached[1]
    write = _compile(shape)
    _WRITERS[id(shape)] = (shape, write)  # the Shape is kept, so its id stays unique
    return write


def _compile(shape: Shape) -> _Writer:
    name = shape.name
    if shape.type_name == "structure":
        # Members are written in the model's order; only the ones present are visited (a
        # TunnelOptions shape has dozens of members, a response sets a handful).
        plan = {member_name: (position, member_name, member.serialization.get("name", member_name))
                for position, (member_name, member) in enumerate(shape.members.items())}
        members = dict(shape.members)
        writers: dict[str, _Writer] = {}  # filled on first use: recursive shapes compile lazily

        def write_structure(value: Any, parts: list[str]) -> None:
            if type(value) is Fragment:
                if value.shape != name:
                    raise TypeError(f"{name}: a fragment rendered for {value.shape}")
                parts.append(value.xml)
                return
            if not isinstance(value, Mapping):
                raise TypeError(f"{name}: mapping expected, got {value!r}")
            if not plan.keys() >= value.keys():
                # The stand-in must not invent fields the service does not have.
                raise KeyError(f"{name} has no member(s) {sorted(set(value) - set(plan))}")
            for _, member_name, tag in sorted(plan[k] for k, v in value.items() if v is not None):
                write = writers.get(member_name)
                if write is None:
                    write = writers[member_name] = _writer(members[member_name])
                parts.append(f"<{tag}>")
                write(value[member_name], parts)
                parts.append(f"</{tag}>")

        return write_structure
    if shape.type_name == "list":
        member = shape.member
        tag = member.serialization.get("name", "item")
        open_tag, close_tag = f"<{tag}>", f"</{tag}>"
        slot: list[_Writer] = []

        def write_list(value: Any, parts: list[str]) -> None:
            if not slot:
                slot.append(_writer(member))
            for item in value:
                parts.append(open_tag)
                slot[0](item, parts)
                parts.append(close_tag)

        return write_list
    if shape.type_name == "boolean":
        def write_boolean(value: Any, parts: list[str]) -> None:
            if not isinstance(value, bool):
                raise TypeError(f"{name}: boolean expected, got {value!r}")
            parts.append("true" if value else "false")

        return write_boolean
    if shape.type_name == "timestamp":
        def write_timestamp(value: Any, parts: list[str]) -> None:
            parts.append(_timestamp(value))

        return write_timestamp
    if shape.type_name in ("integer", "long"):
        def write_integer(value: Any, parts: list[str]) -> None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name}: integer expected, got {value!r}")
            parts.append(str(value))

        return write_integer
    enum = shape.metadata.get("enum")
    allowed = (frozenset(enum) | OBSERVED_ENUM_VALUES.get(shape.name, frozenset())
               if enum is not None else None)

    def write_string(value: Any, parts: list[str]) -> None:
        if not isinstance(value, str):
            raise TypeError(f"{name}: string expected, got {value!r}")
        if allowed is not None and value not in allowed:
            raise ValueError(f"{name}: {value!r} is not one of {enum}")
        parts.append(escape(value))

    return write_string


def _write(shape: Shape, value: Any, parts: list[str]) -> None:
    _writer(shape)(value, parts)


@dataclass(frozen=True)
class Fragment:
    """The XML of one value of structure `shape`, rendered (and checked) by `fragment`; a
    response containing it writes the text as is. Lets a stand-in reuse what it rendered while
    nothing in the value changed."""

    shape: str
    xml: str


def fragment(shape: Shape, value: Mapping[str, Any]) -> Fragment:
    parts: list[str] = []
    _write(shape, value, parts)
    return Fragment(shape.name, "".join(parts))


def output_shape(action: str, *path: str) -> Shape:
    """The shape at `path` in `action`'s output (a list stands for its member), e.g.
    output_shape("DescribeVpnConnections", "VpnConnections") is VpnConnection."""
    shape = operation(action).output_shape
    for name in path:
        shape = shape.members[name]
        if shape.type_name == "list":
            shape = shape.member
    return shape


def render_response(action: str, output: Mapping[str, Any], request_id: str | None = None) -> bytes:
    """Serialize `output` (boto3's parsed shape, e.g. {"VpnConnections": [...]}) to EC2 XML."""
    op = operation(action)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<{action}Response xmlns="{EC2_XMLNS}">',
        f"<requestId>{request_id or uuid.uuid4()}</requestId>",
    ]
    _write(op.output_shape, dict(output), parts)
    parts.append(f"</{action}Response>")
    return "".join(parts).encode("utf-8")


def render_error(code: str, message: str, request_id: str | None = None) -> bytes:
    """EC2's error envelope (note RequestID, not requestId: botocore's EC2 parser expects it)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Response><Errors><Error><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message></Error></Errors>"
        f"<RequestID>{request_id or uuid.uuid4()}</RequestID></Response>"
    ).encode()
