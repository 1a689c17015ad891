"""Which connections a `gatewatch aws-tunnels` run works on, grouped by (account, region): one
rollout engine (one EC2 client) per group, as EC2 serves each region, and each account, on its
own endpoint and request throttle ("Amazon EC2 service endpoints",
https://docs.aws.amazon.com/ec2/latest/devguide/ec2-endpoints.html; "Request throttling for the
Amazon EC2 API", https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html).

The ids come from the command line, `vpn-...` (in `--region`) or `REGION/vpn-...`, or from a
stack file (`--stack FILE`: every connection it lists, in its region and account, or the listed
ids among them). A bad form is one line naming the id and the fix, before any AWS call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gatewatch.aws import facts as aws_facts
from gatewatch.aws import names as aws_names
from gatewatch.aws.scope import label_of
from gatewatch.aws_rollout.expected import expected_tunnel_options
from gatewatch.aws_rollout.options import LogOptions
from gatewatch.aws_rollout.preflight import Caller
from gatewatch.config.aws import AwsConfig
from gatewatch.config.aws_connections import connections_of
from gatewatch.errors import BadInput

EXAMPLE_ID = "vpn-0123456789abcdef0"
EXAMPLE_ARN = "arn:aws:logs:REGION:123456789012:log-group:/aws/vendedlogs/vpn"
EXAMPLE_ENDPOINT = "https://ec2.REGION.amazonaws.com"
# A host name, an IPv4 address, or a bracketed IPv6 address (what botocore accepts).
_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_HOST_RE = re.compile(rf"({_LABEL}\.)*{_LABEL}\.?|\[[0-9A-Fa-f:.]+\]")
IDS_SHOWN = 5  # ids named in one error line; the rest are counted


@dataclass
class Target:
    """The connections of one (account, region) in this run."""

    region: str
    role_arn: str | None = None
    endpoint_url: str | None = None
    vpn_ids: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return label_of(self.region, self.role_arn)


@dataclass(frozen=True)
class StackTargets:
    """What `--stack FILE` says: the stack's name and its gatewatch:aws."""

    name: str
    aws: AwsConfig


def few(ids: Sequence[str]) -> str:
    """A few ids and a count of the rest, for one error line."""
    more = len(ids) - IDS_SHOWN
    return ", ".join(ids[:IDS_SHOWN]) + (f" and {more} more" if more > 0 else "")


def _split(raw: str) -> tuple[str | None, str]:
    """`vpn-...` -> (None, id); `REGION/vpn-...` -> (region, id); anything else BadInput."""
    region, slash, vpn_id = raw.rpartition("/")
    if slash and not aws_facts.AWS_REGION_RE.fullmatch(region):
        raise BadInput(f"VPN_ID {raw!r}: {region!r} is not an AWS region; write REGION/vpn-id, "
                       f"e.g. us-west-2/{EXAMPLE_ID}")
    if not aws_facts.AWS_VPN_ID_RE.fullmatch(vpn_id):
        raise BadInput(
            f"VPN_ID {raw!r} is not a VPN connection id; expected vpn- followed by 8 to 17 "
            f"lowercase hex digits, optionally after its region: {EXAMPLE_ID} or "
            f"us-west-2/{EXAMPLE_ID}")
    return (region if slash else None), vpn_id


def load_stack(path: str) -> StackTargets:
    """The stack file's gatewatch:aws (BadInput naming the file when it has none)."""
    from gatewatch.config.stack_file import load_stack_file

    file = Path(path)
    config, _ = load_stack_file(file)
    if config.aws is None:
        raise BadInput(f"--stack {path}: the stack has no gatewatch:aws; pass VPN ids with "
                       "--region instead")
    name = file.name.removeprefix("Pulumi.").removesuffix(".yaml").removesuffix(".yml")
    return StackTargets(name, config.aws)


def targets(raw_ids: Sequence[str], region: str | None, stack: StackTargets | None,
            endpoints: Mapping[str | None, str]) -> list[Target]:
    """The run's connections by (account, region), in the order first named. `endpoints`:
    an EC2 endpoint by region (key None: every region without its own)."""
    if not raw_ids and stack is None:
        raise BadInput(f"give the VPN connections: VPN_ID ... (vpn-... with --region, or "
                       f"REGION/vpn-...), or --stack FILE; e.g. us-west-2/{EXAMPLE_ID}")
    if stack is not None and region is not None:
        raise BadInput("--region has no effect with --stack (the stack gives each connection's "
                       "region); drop --region")
    groups: dict[tuple[str, str | None], Target] = {}

    def add(where: str, role_arn: str | None, stack_url: str | None, vpn_id: str) -> None:
        key = (where, role_arn)
        if key not in groups:
            url = endpoints.get(where) or endpoints.get(None) or stack_url
            groups[key] = Target(where, role_arn, url)
        groups[key].vpn_ids.append(vpn_id)

    if stack is not None:
        listed = {c.vpn_id: c for c in connections_of(stack.aws)}
        chosen = [_split(raw) for raw in raw_ids] or [(None, v) for v in listed]
        absent = [v for _, v in chosen if v not in listed]
        if absent:
            raise BadInput(f"VPN_ID {few(absent)}: not in the stack's gatewatch:aws; list it "
                           "there, or drop --stack and give REGION/vpn-id")
        for given, vpn_id in chosen:
            conn = listed[vpn_id]
            if given is not None and given != conn.region:
                raise BadInput(f"VPN_ID {given}/{vpn_id}: the stack lists it in "
                               f"{conn.region}; write {conn.region}/{vpn_id} or just {vpn_id}")
            add(conn.region, conn.role_arn, conn.scope.ec2_endpoint_url, vpn_id)
        return list(groups.values())
    for raw in raw_ids:
        given, vpn_id = _split(raw)
        where = given or region
        if where is None:
            raise BadInput(f"VPN_ID {raw!r} has no region: pass --region REGION, write it as "
                           f"REGION/{raw}, or take the ids from a stack with --stack FILE")
        add(where, None, None, vpn_id)
    if region is not None and (region, None) not in groups:
        raise BadInput(f"--region {region} has no effect: every VPN_ID names its region; drop "
                       "--region")
    return list(groups.values())


def stack_options(stack: StackTargets, target: Target, session: Any) -> LogOptions:
    """What the stack's config sets on the tunnels of one (account, region), with the ARNs of
    the log groups the stack deployed there: partition and account from STS
    GetCallerIdentity (the assumed role's account for another account), which needs no
    permission ("GetCallerIdentity",
    https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html)."""
    caller = Caller.from_identity(
        session.client("sts", region_name=target.region).get_caller_identity())
    base = f"arn:{caller.partition}:logs:{target.region}:{caller.account}:log-group:"
    bgp = stack.aws.bgp_log_group_name
    return expected_tunnel_options(
        stack.aws, base + aws_names.log_group_name(stack.aws, stack.name),
        base + bgp if stack.aws.bgp_logs and bgp else None)


def _endpoint_url(raw: str | None, region: str) -> None:
    """`--endpoint-url` must be http(s)://host[:port][/path]; botocore would otherwise stop with
    a ValueError traceback."""
    if raw is None:
        return
    example = EXAMPLE_ENDPOINT.replace("REGION", region)
    problem = f"--endpoint-url {raw!r} is not an http(s) URL; expected " \
              f"http(s)://host[:port][/path], e.g. --endpoint-url {example}"
    try:
        parts = urlsplit(raw)
        port = parts.port  # ValueError when not a number in 0-65535
    except ValueError:
        raise BadInput(problem) from None
    host = parts.netloc.rsplit("@", 1)[-1]
    if port is not None:
        host = host[: host.rindex(":")]
    if (parts.scheme not in ("http", "https") or not _HOST_RE.fullmatch(host)
            or port == 0 or "@" in parts.netloc or parts.query or parts.fragment
            or any(c.isspace() for c in raw)):
        raise BadInput(problem)


def endpoints(values: Sequence[str] | None, region: str | None) -> dict[str | None, str]:
    """`--endpoint-url URL` (every region) or `REGION=URL` (one region), each checked."""
    out: dict[str | None, str] = {}
    for raw in values or ():
        where, eq, url = raw.partition("=")
        key: str | None = where if eq and aws_facts.AWS_REGION_RE.fullmatch(where) else None
        url = url if key is not None else raw
        if key in out:
            raise BadInput(f"--endpoint-url is given twice for {key or 'every region'}; give one "
                           "per region as REGION=URL")
        _endpoint_url(url, key or region or "us-east-1")
        out[key] = url
    return out


def by_region(given_region: str | None, flag: str, values: Sequence[str],
               found: Sequence[Target], required: bool = True) -> dict[str, str]:
    """The log group ARN of each region of the run (one flag per region)."""
    regions = list(dict.fromkeys(t.region for t in found))
    out: dict[str, str] = {}
    for value in values:
        match = aws_facts.AWS_LOG_GROUP_ARN_RE.fullmatch(value)
        if not match:
            raise BadInput(
                f"{flag} {value!r} is not a CloudWatch Logs log group ARN; "
                f"expected {EXAMPLE_ARN.replace('REGION', regions[0])}"
            )
        region = match["region"]
        if region not in regions and given_region is not None and regions == [given_region]:
            raise BadInput(
                f"{flag} is in region {region} but --region is {given_region}; "
                "use a log group in the same region as the VPN connections"
            )
        if region not in regions:
            raise BadInput(f"{flag} is in region {region}, where none of the VPN connections "
                           f"is ({', '.join(regions)}); give one {flag} per region, in it")
        if region in out:
            raise BadInput(f"{flag} is given twice for {region}; give one {flag} per region")
        out[region] = value
    for region in regions if required else ():
        if region not in out:
            ids = [v for t in found if t.region == region for v in t.vpn_ids]
            raise BadInput(f"{flag}: none for {region} ({few(ids)}), a tunnel logs only to a "
                           f"group in its own region; add {flag} "
                           f"{EXAMPLE_ARN.replace('REGION', region)}")
    return out
