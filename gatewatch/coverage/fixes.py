"""The fix for an unwatched gateway or connection: the stack file to add it to, the exact
config lines, and the same as one `pulumi config set --path` command ("pulumi config set",
https://www.pulumi.com/docs/iac/cli/commands/pulumi_config_set/: `--path` sets one element
of a structured value).

The stack chosen is the one already watching something next to it (same subscription, same
AWS region), else the first stack that configures that cloud (a connection in a region the
stack does not list yet goes under `gatewatch:aws.regions`); with none, the lines of a new
section. Coverage reads the login's own account, so only the lists of that account are
candidates (gatewatch/config/aws.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from gatewatch.azure.arm_ids import parse_arm_id
from gatewatch.coverage.stacks import StackListing, region_key


@dataclass(frozen=True)
class Fix:
    """What to add where: `file` None means no stack can take it as it is (a new one)."""

    file: str | None
    where: str  # the key the lines go under
    lines: tuple[str, ...]
    command: str | None = None

    def as_json(self) -> dict[str, object]:
        return {"file": self.file, "under": self.where, "lines": list(self.lines),
                "command": self.command}


def _subscription(arm_id: str) -> str:
    parsed = parse_arm_id(arm_id)
    return parsed.subscription_id.lower() if parsed is not None else ""


def azure_gateway(gateway_id: str, stacks: Sequence[StackListing], taken: Counter[str]) -> Fix:
    """`taken` counts the fixes already given per stack file, so that each command sets a new
    list index (two commands for index 2 would overwrite each other)."""
    configured = [s for s in stacks if s.configures_azure]
    sub = _subscription(gateway_id)
    near = [s for s in configured if any(_subscription(g) == sub for g in s.azure_gateway_ids)]
    target = next(iter(near or configured), None)
    if target is None:
        return Fix(None, "gatewatch:azure", (
            "gatewatch:azure:", "  gateways:", f"    - id: {gateway_id}"))
    index = len(target.azure_gateway_ids) + taken[target.file]
    taken[target.file] += 1
    return Fix(target.file, "gatewatch:azure.gateways", (f"- id: {gateway_id}",),
               f"pulumi config set --path 'gatewatch:azure.gateways[{index}].id' "
               f"{gateway_id} --stack {target.stack}")


def aws_connection(vpn_id: str, region: str, stacks: Sequence[StackListing],
                   taken: Counter[str]) -> Fix:
    own = [(stack, aws) for stack in stacks for aws in stack.aws if aws.account is None]
    for stack, aws in own:
        if aws.region == region:
            index = len(aws.connection_ids) + taken[f"{stack.file} {aws.key}"]
            taken[f"{stack.file} {aws.key}"] += 1
            return Fix(stack.file, aws.key, (f"- {vpn_id}",),
                       f"pulumi config set --path '{aws.key}[{index}]' {vpn_id} "
                       f"--stack {stack.stack}")
    target = next((stack for stack, _ in own), None)
    if target is not None:
        key = f"{region_key(region)}.vpnConnections"
        index = taken[f"{target.file} {key}"]
        taken[f"{target.file} {key}"] += 1
        return Fix(target.file, "gatewatch:aws.regions",
                   (f"{region}:", "  vpnConnections:", f"    - {vpn_id}"),
                   f"pulumi config set --path '{key}[{index}]' {vpn_id} --stack {target.stack}")
    return Fix(None, "gatewatch:aws", (
        "gatewatch:aws:", f"  region: {region}", "  vpnConnections:", f"    - {vpn_id}"))
