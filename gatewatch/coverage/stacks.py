"""What each stack file says it watches, for `gatewatch coverage`: the one place that reads
`gatewatch:azure` and `gatewatch:aws` for it (`listing`), and which stack files to read
(`stack_paths`: `--stack FILE`s, default every `Pulumi.*.yaml` of the project, as `pulumi`
names stack config files, "Pulumi project and stack settings file reference",
https://www.pulumi.com/docs/iac/concepts/projects/project-file/).

Every file is read and validated by the config model (gatewatch/config/), so a broken stack is
bad input naming the file, never a silently shorter list of watched resources.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gatewatch.config.stack_file import load_stack_file
from gatewatch.errors import BadInput, Problem
from gatewatch.paths import PROJECT_ROOT

STACK_GLOB = "Pulumi.*.yaml"


@dataclass(frozen=True)
class AwsListing:
    """The VPN connections a stack lists in one AWS region of one account (`account` None: the
    deploying account, the one coverage reads), how it reaches EC2 there, and the config key of
    that list (`gatewatch:aws.vpnConnections`, `gatewatch:aws.regions["us-west-2"]...`)."""

    region: str
    connection_ids: tuple[str, ...]
    ec2_endpoint_url: str | None = None
    key: str = "gatewatch:aws.vpnConnections"
    account: str | None = None


def region_key(region: str) -> str:
    """The `pulumi config set --path` key of a region's entry under gatewatch:aws.regions
    (brackets: a region code has dashes)."""
    return f'gatewatch:aws.regions["{region}"]'


@dataclass(frozen=True)
class StackListing:
    """One stack file's watched resources: Azure gateway ids (as written) and AWS connections
    per region."""

    stack: str
    path: Path
    azure_gateway_ids: tuple[str, ...]
    aws: tuple[AwsListing, ...]
    configures_azure: bool

    @property
    def file(self) -> str:
        return self.path.name

    def aws_regions(self) -> set[str]:
        return {a.region for a in self.aws}


def stack_name(path: Path) -> str:
    return path.name.removeprefix("Pulumi.").removesuffix(".yaml")


def listing(path: Path) -> StackListing:
    """Which Azure gateway ids and which AWS connection ids (per region) this stack lists."""
    config, _raw = load_stack_file(path)
    gateways = tuple(g.id.id for g in config.azure.gateways) if config.azure else ()
    aws: tuple[AwsListing, ...] = ()
    if config.aws is not None:
        roles = [a.role_arn for a in config.aws.accounts]
        aws = tuple(
            AwsListing(s.region, s.vpn_connections, s.ec2_endpoint_url,
                       "gatewatch:aws.vpnConnections" if s.primary else
                       f"{region_key(s.region)}.vpnConnections" if s.role_arn is None else
                       f'gatewatch:aws.accounts[{roles.index(s.role_arn)}].regions["{s.region}"]'
                       ".vpnConnections", s.account)
            for s in config.aws.scopes())
    return StackListing(stack_name(path), path, gateways, aws, config.azure is not None)


def stack_paths(given: Sequence[str] | None, root: Path = PROJECT_ROOT) -> list[Path]:
    """The `--stack` files (each must be a readable file), else the project's stack files."""
    if not given:
        found = sorted(root.glob(STACK_GLOB))
        if not found:
            raise BadInput(f"--stack: no {STACK_GLOB} file in {root}; pass --stack FILE")
        return found
    paths = []
    for text in given:
        if not text.strip():
            raise BadInput("--stack: is empty (an unset variable?); pass the path of a "
                           "Pulumi.<stack>.yaml file, or leave --stack out for every "
                           f"{STACK_GLOB} of the project")
        path = Path(text)
        if not path.is_file():
            what = "is a directory" if path.is_dir() else "file not found"
            raise BadInput(f"--stack: {text}: {what}; pass the path of a Pulumi.<stack>.yaml "
                           f"file, or leave --stack out for every {STACK_GLOB} of the project")
        if path not in paths:
            paths.append(path)
    return paths


def read_all(paths: Sequence[Path]) -> list[StackListing]:
    """Every stack's listing; BadInput with every problem of every file, each naming it."""
    listings: list[StackListing] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            listings.append(listing(path))
        except BadInput as error:
            problems.extend(Problem(f"{path}: {p.path}", p.message, p.fix)
                            if not p.path.startswith(str(path)) else p
                            for p in error.problems)
            if not error.problems:
                problems.extend(Problem(str(path), line, "fix the file")
                                for line in error.lines)
    if problems:
        raise BadInput(problems)
    return listings
