"""A Pulumi dynamic resource that turns tunnel activity logs on for one existing Site-to-Site
VPN connection, through the rollout engine: one tunnel at a time, never both down.

pulumi-aws `ec2.VpnConnection` would change tunnel 1 and tunnel 2 in one apply; the
connections here are managed anywhere, and only their log options are ours. The provider is
pickled into the state (dill), so it holds nothing but plain values: the boto3 client is built
inside each call by the engine.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult

# Inputs whose change means: roll the new options out. Changing the connection or the
# region means a different resource (turn logs off there, on here).
OPTION_KEYS = ("logGroupArn", "logOutputFormat", "logEnabled", "bgpLogEnabled",
               "bgpLogGroupArn", "lifecycleControl")
IDENTITY_KEYS = ("vpnConnectionId", "region", "roleArn")


def _progress(event: Any) -> None:
    # Dynamic providers run in their own process; stderr reaches `pulumi up`'s diagnostics.
    print(f"[{event.vpn_connection_id} tunnel {event.tunnel}] {event.phase}: {event.message}",
          file=sys.stderr, flush=True)


def apply_log_options(props: dict[str, Any], *, enabled: bool) -> dict[str, Any]:
    """Run the engine for one connection; return what it did, or raise naming the tunnel."""
    from gatewatch.aws_rollout.engine import rollout
    from gatewatch.aws_rollout.journal import JournalSpec
    from gatewatch.aws_rollout.options import LogOptions, RolloutSettings

    fmt = props.get("logOutputFormat") or "json"
    # Tunnel logs, BGP logs and lifecycle control: one ModifyVpnTunnelOptions per tunnel.
    bgp = bool(props.get("bgpLogEnabled")) and enabled
    options = LogOptions(
        log_enabled=enabled,
        log_group_arn=props.get("logGroupArn") if enabled else None,
        log_output_format=fmt,
        bgp_log_enabled=bgp if ("bgpLogEnabled" in props or not enabled) else None,
        bgp_log_group_arn=(props.get("bgpLogGroupArn") or None) if bgp else None,
        bgp_log_output_format=fmt,
        # Deleting the resource turns logs off but leaves lifecycle control as it is: turning
        # it off would hand maintenance timing back to AWS without anyone asking.
        lifecycle_control=(bool(props["lifecycleControl"])
                           if enabled and props.get("lifecycleControl") is not None else None),
    )
    settings = RolloutSettings(
        timeout=float(props.get("timeoutSeconds") or 900),
        poll_interval=float(props.get("pollSeconds") or 15),
        max_parallel=1,
    )
    from gatewatch.aws.sessions import session_for
    from gatewatch.aws_rollout.client import make_ec2_client

    role_arn = props.get("roleArn") or None
    # One session for the preflight, EC2 and the journal: a role is assumed once per call.
    session = session_for(props["region"], role_arn)
    if enabled:  # before any tunnel changes: can the logs reach the group at all?
        from gatewatch.aws_rollout.preflight import check_log_groups, log_groups_of
        from gatewatch.errors import BadInput

        try:
            check_log_groups(log_groups_of(options, ("logGroupArn", "bgpLogGroupArn")),
                             props["region"], session)
        except BadInput as exc:
            raise RuntimeError(f"{props['vpnConnectionId']}: {exc}; no tunnel was changed") \
                from None
    # The kit's log group also holds the rollout journal: a CLI run beside `pulumi up`
    # waits for this resource's changes in flight, and this one for the CLI's.
    journal = JournalSpec(props["logGroupArn"], props["region"], flag="logGroupArn",
                          role_arn=role_arn) if props.get("logGroupArn") else None
    result = rollout(
        [props["vpnConnectionId"]], options,
        ec2=make_ec2_client(props["region"], props.get("endpointUrl") or None, session=session),
        settings=settings, progress=_progress,
        journal=journal, journal_client=journal.client(session) if journal else None,
    )
    if not result.ok:
        raise RuntimeError("; ".join(result.errors))
    return {
        "tunnels": [
            {"tunnel": t.tunnel, "outsideIp": t.outside_ip, "action": str(t.action),
             "secondsDown": round(t.seconds_down, 1)}
            for c in result.connections for t in c.tunnels
        ]
    }


class TunnelLoggingProvider(ResourceProvider):
    """create/update: enable with the given options; delete: disable, the same safe way."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = apply_log_options(props, enabled=bool(props.get("logEnabled", True)))
        return CreateResult(id_=props["vpnConnectionId"], outs={**props, **outs})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [k for k in IDENTITY_KEYS if olds.get(k) != news.get(k)]
        changed = replaces + [k for k in OPTION_KEYS if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changed), replaces=replaces,
                          delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        outs = apply_log_options(news, enabled=bool(news.get("logEnabled", True)))
        return UpdateResult(outs={**news, **outs})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        apply_log_options(props, enabled=False)


@dataclass
class TunnelLoggingArgs:
    vpn_connection_id: str
    region: str
    log_group_arn: pulumi.Input[str]
    log_output_format: str = "json"
    timeout_seconds: int = 900
    poll_seconds: int = 15
    endpoint_url: str | None = None  # an EC2-compatible endpoint; None means AWS itself
    bgp_log_enabled: bool = True
    bgp_log_group_arn: pulumi.Input[str] | None = None  # None: the tunnel log group
    lifecycle_control: bool = True  # EnableTunnelLifecycleControl, set without an outage
    role_arn: str | None = None  # another account's connection: the role to assume there


class TunnelLogging(pulumi.dynamic.Resource):
    """Tunnel activity logs on both tunnels of one VPN connection, rolled out safely."""

    tunnels: pulumi.Output[list[dict[str, Any]]]

    def __init__(
        self, name: str, args: TunnelLoggingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            TunnelLoggingProvider(),
            name,
            {
                "vpnConnectionId": args.vpn_connection_id,
                "region": args.region,
                "logGroupArn": args.log_group_arn,
                "logOutputFormat": args.log_output_format,
                "logEnabled": True,
                "timeoutSeconds": args.timeout_seconds,
                "pollSeconds": args.poll_seconds,
                "endpointUrl": args.endpoint_url,
                "bgpLogEnabled": args.bgp_log_enabled,
                "bgpLogGroupArn": args.bgp_log_group_arn,
                "lifecycleControl": args.lifecycle_control,
                # Only when set: a single-account stack's inputs stay as they were.
                **({"roleArn": args.role_arn} if args.role_arn else {}),
                "tunnels": None,
            },
            opts,
        )
