"""The coverage report: each gateway and connection marked WATCHED (by which stack files),
UNWATCHED (with the fix) or N/A, what could not be read, and its text and JSON forms.

ExpressRoute gateways (gatewayType ExpressRoute, one resource type with VPN gateways) are
listed as N/A and never fail the run: what the kit keeps on is a VPN gateway's tunnel, IKE,
route and P2S diagnostics ("Monitoring Azure VPN Gateway data reference",
https://learn.microsoft.com/azure/vpn-gateway/monitor-vpn-gateway-reference), which an
ExpressRoute gateway does not have, and the policy pack skips non-VPN gateways the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gatewatch.coverage import fixes
from gatewatch.coverage.aws import AwsResult
from gatewatch.coverage.azure import GraphResult
from gatewatch.coverage.stacks import StackListing
from gatewatch.live.sources import Failure

WATCHED, UNWATCHED, NOT_APPLICABLE, NOT_READ = "WATCHED", "UNWATCHED", "N/A", "NOT READ"
_WIDTH = 10


@dataclass(frozen=True)
class Item:
    cloud: str  # azure | aws
    id: str
    name: str
    where: str  # subscription/resource group/location, or region
    kind: str  # gatewayType (Azure), State (AWS)
    status: str
    watched_by: tuple[str, ...] = ()
    fix: fixes.Fix | None = None
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"cloud": self.cloud, "id": self.id, "name": self.name, "where": self.where,
                "kind": self.kind, "status": self.status.lower().replace("/", ""),
                "watchedBy": list(self.watched_by),
                "fix": self.fix.as_json() if self.fix else None,
                **({"reason": self.reason} if self.reason else {})}


@dataclass
class Report:
    stacks: list[str]
    items: list[Item] = field(default_factory=list)
    unread: list[tuple[str, str, Failure]] = field(default_factory=list)  # cloud, scope, why
    notes: list[str] = field(default_factory=list)
    azure: GraphResult | None = None
    aws: AwsResult | None = None

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)

    @property
    def ok(self) -> bool:
        return self.count(UNWATCHED) == 0 and not self.unread


def azure_items(graph: GraphResult, stacks: Sequence[StackListing]) -> list[Item]:
    items = []
    taken: Counter[str] = Counter()
    for gw in graph.gateways:
        by = tuple(s.file for s in stacks
                   if gw.id.lower() in {g.lower() for g in s.azure_gateway_ids})
        where = f"{gw.subscription_id}/{gw.resource_group} {gw.location}"
        if gw.gateway_type and gw.gateway_type.lower() != "vpn":
            items.append(Item("azure", gw.id, gw.name, where, gw.gateway_type, NOT_APPLICABLE,
                              by, reason=f"{gw.gateway_type} gateway: no VPN tunnel "
                              "diagnostics to keep on"))
        elif by:
            items.append(Item("azure", gw.id, gw.name, where, gw.gateway_type, WATCHED, by))
        else:
            items.append(Item("azure", gw.id, gw.name, where, gw.gateway_type, UNWATCHED,
                              fix=fixes.azure_gateway(gw.id, stacks, taken)))
    return items


def aws_items(aws: AwsResult, stacks: Sequence[StackListing]) -> list[Item]:
    items = []
    taken: Counter[str] = Counter()
    for conn in aws.connections:
        by = tuple(s.file for s in stacks for a in s.aws
                   if a.region == conn.region and conn.id in a.connection_ids)
        gateway = conn.vpn_gateway_id or conn.transit_gateway_id
        if by:
            items.append(Item("aws", conn.id, gateway, conn.region, conn.state, WATCHED, by))
        else:
            items.append(Item("aws", conn.id, gateway, conn.region, conn.state, UNWATCHED,
                              fix=fixes.aws_connection(conn.id, conn.region, stacks, taken)))
    return items


def listed_not_found(report: Report, stacks: Sequence[StackListing]) -> list[str]:
    """Notes: what a stack lists that the read did not find (where that was read)."""
    seen = {i.id.lower() for i in report.items}
    notes = []
    if report.azure is not None and report.azure.failure is None:
        notes += [f"{s.file} lists gateway {g}, which Resource Graph did not return (deleted, "
                  "or the login cannot read it)" for s in stacks for g in s.azure_gateway_ids
                  if g.lower() not in seen]
    if report.aws is not None:
        read = set(report.aws.regions) - set(report.aws.failures)
        notes += [f"{s.file} lists {vpn} in {a.region}, which EC2 did not return there "
                  "(deleted, or another account)" for s in stacks for a in s.aws
                  if a.account is None
                  for vpn in a.connection_ids if a.region in read and vpn.lower() not in seen]
        notes += [f"{s.file} lists {len(a.connection_ids)} connection(s) in account "
                  f"{a.account} ({a.region}), which this login does not read: run coverage "
                  "with that account's credentials" for s in stacks for a in s.aws
                  if a.account is not None]
    return notes


def _line(item: Item) -> list[str]:
    head = f"{item.status:<{_WIDTH}} {item.cloud:<5} {item.name or item.id}"
    if item.cloud == "aws":
        head = f"{item.status:<{_WIDTH}} {item.cloud:<5} {item.id} ({item.name}) {item.where}"
    else:
        head += f"  {item.where}"
    lines = [head]
    pad = " " * (_WIDTH + 7)
    if item.watched_by:
        lines.append(f"{pad}watched by {', '.join(item.watched_by)}")
    if item.reason:
        lines.append(f"{pad}{item.reason}")
    if item.fix is not None:
        where = (f"add under {item.fix.where} in {item.fix.file}:" if item.fix.file else
                 f"no stack configures {item.fix.where}: add to a stack file:"
                 if item.cloud == "aws" else
                 "no stack configures gatewatch:azure: add to a stack file (see "
                 "Pulumi.dev.yaml for the rest of the section):")
        lines.append(f"{pad}fix: {where}")
        lines += [f"{pad}  {text}" for text in item.fix.lines]
        if item.fix.command:
            lines.append(f"{pad}  or: {item.fix.command}")
    return lines


def render_text(report: Report) -> str:
    out = [f"Stacks compared: {', '.join(report.stacks)}"]
    if report.azure is not None:
        g = report.azure
        subs = len({i.id.split("/")[2].lower() for i in report.items if i.cloud == "azure"})
        out.append(f"Azure: {len(g.gateways)} virtual network gateway(s) in {subs} "
                   f"subscription(s), Resource Graph {g.pages} page(s)"
                   + (f", {g.throttled} throttled answer(s) waited out" if g.throttled else ""))
    if report.aws is not None:
        a = report.aws
        read = len(a.regions) - len(set(a.failures) - {""})
        out.append(f"AWS: {len(a.connections)} Site-to-Site VPN connection(s) in {read} of "
                   f"{len(a.regions)} enabled region(s)")
    out.append("")
    for item in report.items:
        out += _line(item)
    for cloud, scope, why in report.unread:
        out.append(f"{NOT_READ:<{_WIDTH}} {cloud:<5} {scope}: {why}; {why.fix}")
    for note in report.notes:
        out.append(f"note: {note}")
    out.append("")
    summary = (f"{report.count(WATCHED)} watched, {report.count(UNWATCHED)} unwatched, "
               f"{report.count(NOT_APPLICABLE)} not applicable")
    if report.unread:
        scopes = ", ".join(s.split(" (")[0] for _, s, _ in report.unread)
        summary += f", {len(report.unread)} not read ({scopes})"
    out.append(summary)
    return "\n".join(out)


def render_json(report: Report) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "stacks": report.stacks,
        "items": [i.as_json() for i in report.items],
        "notRead": [{"cloud": c, "scope": s, "source": f.source, "reason": f.reason,
                     "fix": f.fix} for c, s, f in report.unread],
        "notes": report.notes,
        "summary": {"watched": report.count(WATCHED), "unwatched": report.count(UNWATCHED),
                    "notApplicable": report.count(NOT_APPLICABLE),
                    "notRead": len(report.unread)},
        "reads": {
            "azure": None if report.azure is None else {
                "gateways": len(report.azure.gateways), "pages": report.azure.pages,
                "throttled": report.azure.throttled},
            "aws": None if report.aws is None else {
                "regions": report.aws.regions,
                "connections": len(report.aws.connections)},
        },
    }
