"""Azure Resource Manager ids: parse once, compare case-insensitively (ARM ids are)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ARM_ID = re.compile(
    r"/subscriptions/(?P<sub>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12})/resourceGroups/(?P<rg>[-\w._()]{1,90})/providers/"
    r"(?P<ns>[A-Za-z]+\.[A-Za-z.]+)/(?P<rest>[^?#]+)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ArmId:
    """A resource id split into the parts the kit needs."""

    id: str
    subscription_id: str
    resource_group: str
    namespace: str
    types: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.names[-1]

    @property
    def resource_type(self) -> str:
        """e.g. `Microsoft.Network/virtualNetworkGateways` (child types joined by '/')."""
        return "/".join((self.namespace, *self.types))

    def is_type(self, resource_type: str) -> bool:
        return self.resource_type.lower() == resource_type.lower()

    @property
    def resource_group_id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"

    @property
    def key(self) -> str:
        return id_key(self.id)


def id_key(arm_id: str) -> str:
    """Comparison key of an ARM id: ARM ids are case-insensitive; a trailing slash does not
    matter."""
    return arm_id.rstrip("/").lower()


def parse_arm_id(value: str) -> ArmId | None:
    """Parse `/subscriptions/<guid>/resourceGroups/<rg>/providers/<ns>/<type>/<name>[/...]`."""
    match = _ARM_ID.fullmatch(value.rstrip("/"))
    if not match:
        return None
    rest = match["rest"].split("/")
    if len(rest) % 2 or any(not part for part in rest):
        return None
    return ArmId(
        id=value.rstrip("/"),
        subscription_id=match["sub"],
        resource_group=match["rg"],
        namespace=match["ns"],
        types=tuple(rest[0::2]),
        names=tuple(rest[1::2]),
    )


def example_id(resource_type: str, name: str = "<name>") -> str:
    """An example id for error messages: shows the user the shape to write."""
    ns, *types = resource_type.split("/")
    tail = "/".join(f"{t}/{name if i == len(types) - 1 else '<' + t[:-1] + '>'}"
                    for i, t in enumerate(types))
    return f"/subscriptions/<subscription-guid>/resourceGroups/<rg>/providers/{ns}/{tail}"
