"""What a stack's config says every tunnel's options should be: one home for that fact.

The rollout (command line and Pulumi dynamic resource) applies it; `doctor`/`triage` compare a
live tunnel's `Options.TunnelOptions[].LogOptions.CloudWatchLogOptions` and
`EnableTunnelLifecycleControl` against it (`LogOptions.matches`, `lifecycle_matches`).
"""

from __future__ import annotations

from gatewatch.aws_rollout.options import LogOptions
from gatewatch.config.aws import AwsConfig


def expected_tunnel_options(config: AwsConfig, log_group_arn: str,
                            bgp_log_group_arn: str | None = None) -> LogOptions:
    """The tunnel options gatewatch keeps on every tunnel of `config.vpn_connections`.

    `log_group_arn` is the tunnel log group (the stack's, or what `status` read back);
    `bgp_log_group_arn` the BGP log group when `bgpLogGroupName` gives BGP logs their own group
    (None: BGP logs go to the tunnel log group).
    """
    return LogOptions(
        log_enabled=True,
        log_group_arn=log_group_arn,
        log_output_format=config.log_output_format,
        bgp_log_enabled=config.bgp_logs,
        bgp_log_group_arn=(bgp_log_group_arn if config.bgp_logs else None),
        bgp_log_output_format=config.log_output_format,
        lifecycle_control=config.tunnel_lifecycle_control,
    )
