"""`gatewatch coverage`: every Azure VPN gateway and AWS Site-to-Site VPN connection the logins
can read, each WATCHED by which stack file(s) or UNWATCHED with the config lines to add.
Read-only: Resource Graph queries, EC2 DescribeRegions and DescribeVpnConnections.

Exit codes: 0 everything watched; 1 something unwatched, or a source or region could not be
read (named, the rest still reported); 2 bad input (a --stack file, a stack's config) or a
missing login, in one line. The stack files are read before any cloud is called.
"""

from __future__ import annotations

import argparse
import json

from gatewatch.coverage import report as rep
from gatewatch.coverage.stacks import StackListing, read_all, stack_paths
from gatewatch.errors import EXIT_FAILED, EXIT_OK


def _azure(report: rep.Report, listings: list[StackListing], reader: object) -> None:
    from gatewatch.coverage.azure import client, read_gateways
    from gatewatch.live.azure import AzureReader

    assert isinstance(reader, AzureReader)
    graph = read_gateways(client(reader))
    report.azure = graph
    report.items += rep.azure_items(graph, listings)
    report.notes += graph.notes
    if graph.failure is not None:
        report.unread.append(("azure", "every subscription" if not graph.gateways else
                              "the gateways past the last page", graph.failure))


def _aws(report: rep.Report, listings: list[StackListing], boto: object) -> None:
    from gatewatch.coverage.aws import read_connections

    endpoints: dict[str, str] = {}
    from_file: dict[str, str] = {}
    for listing in listings:
        for aws in listing.aws:
            if aws.account is None and aws.ec2_endpoint_url and aws.region not in endpoints:
                endpoints[aws.region] = aws.ec2_endpoint_url
                from_file[aws.region] = listing.file
    result = read_connections(boto, endpoints)
    report.aws = result
    report.items += rep.aws_items(result, listings)
    for region, failure in sorted(result.failures.items()):
        scope = f"region {region}" if region else "the region list"
        if region in from_file:
            scope += f" (the EC2 endpoint of {from_file[region]}, gatewatch:aws.ec2EndpointUrl)"
        report.unread.append(("aws", scope, failure))


def _coverage(args: argparse.Namespace) -> int:
    listings = read_all(stack_paths(args.stack))
    azure_reader = boto = None
    if not args.aws_only:
        from gatewatch.live.azure import AzureReader, LoginError

        azure_reader = AzureReader("")
        try:
            azure_reader.credential()  # LoginError now, before any read
        except LoginError as error:
            raise LoginError(f"{error}; or pass --aws-only") from None
    if not args.azure_only:
        from gatewatch.aws.login import AwsLoginError
        from gatewatch.live.aws import open_session

        try:
            boto = open_session()  # AwsLoginError now
        except AwsLoginError as error:
            raise AwsLoginError(f"{error}; or pass --azure-only") from None
    report = rep.Report([str(listing.path) for listing in listings])
    if azure_reader is not None:
        _azure(report, listings, azure_reader)
    if boto is not None:
        _aws(report, listings, boto)
    report.notes += rep.listed_not_found(report, listings)
    if args.json:
        print(json.dumps(rep.render_json(report), indent=2))
    else:
        print(rep.render_text(report))
    return EXIT_OK if report.ok else EXIT_FAILED


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from gatewatch.live.cli import _guarded

    parser = sub.add_parser(
        "coverage", help="every Azure VPN gateway and AWS VPN connection the logins can read, "
                         "watched by which stack file or UNWATCHED with the fix (read-only)")
    parser.add_argument("--stack", action="append", metavar="FILE",
                        help="a stack file to compare against (repeatable; default: every "
                             "Pulumi.*.yaml of the project)")
    clouds = parser.add_mutually_exclusive_group()
    clouds.add_argument("--azure-only", action="store_true", help="read Azure only")
    clouds.add_argument("--aws-only", action="store_true", help="read AWS only")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=lambda a: _guarded(_coverage, a))
