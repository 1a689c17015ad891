"""Which AWS Site-to-Site VPN connections a stack lists, and where each is: the one answer the
commands that take a stack file (`gatewatch aws-tunnels --stack`, coverage) share with the
program, which deploys per `AwsConfig.scopes()`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gatewatch.aws.scope import AwsScope
from gatewatch.config.aws import AwsConfig
from gatewatch.config.model import StackConfig


@dataclass(frozen=True)
class AwsConnection:
    """One connection of the stack, the region and account it is in (`account` and
    `role_arn` None: the deploying account), and its (account, region) as the program
    deploys it."""

    vpn_id: str
    region: str
    account: str | None
    role_arn: str | None
    scope: AwsScope


def connections_of(config: StackConfig | AwsConfig | None) -> list[AwsConnection]:
    """Every connection of the config, in its order (single-region form first)."""
    aws = config.aws if isinstance(config, StackConfig) else config
    if aws is None:
        return []
    return [AwsConnection(vpn_id, scope.region, scope.account, scope.role_arn, scope)
            for scope in aws.scopes() for vpn_id in scope.vpn_connections]


def stack_aws_connections(path: Path) -> list[AwsConnection]:
    """The AWS connections a stack file (`Pulumi.<stack>.yaml`) lists, in which region and
    account; BadInput (exit 2, one line per problem) when the file or its config is bad."""
    from gatewatch.config.stack_file import load_stack_file

    return connections_of(load_stack_file(path)[0])
