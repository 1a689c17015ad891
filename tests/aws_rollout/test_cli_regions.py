"""`aws-tunnels` across regions (and accounts): `REGION/vpn-id` beside plain ids, `--stack
FILE`, one EC2 stand-in per region on 127.0.0.1 (a connection is known only to its region's),
one engine per region, one report, and every id and log group checked before anything
changes in any region."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.aws_rollout.test_cli import FAST, POLL
from tests.support import aws_rollout as support
from tests.support.standins.ec2 import Ec2StandIn

EAST, WEST = "ap-northeast-1", "us-west-2"
VPN_E, VPN_W = "vpn-0e0e0e0e0e0e0e0e1", "vpn-0f0f0f0f0f0f0f0f2"


def arn(region: str, name: str = "/aws/vendedlogs/vpn-tunnels") -> str:
    return f"arn:aws:logs:{region}:123456789012:log-group:{name}"


Regions = dict[str, tuple[Ec2StandIn, str]]


@pytest.fixture
def regions() -> Iterator[Regions]:
    """One stand-in per region, each holding one connection of its own."""
    with support.served_standin(FAST) as east, support.served_standin(FAST) as west:
        east[0].add_connection(vpn_connection_id=VPN_E)
        west[0].add_connection(vpn_connection_id=VPN_W)
        yield {EAST: east, WEST: west}


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], moto_url: str,
            ) -> Callable[..., Any]:
    run = support.isolated_cli(monkeypatch, capsys, moto_url)
    for region in (EAST, WEST):
        support.create_log_group(moto_url, arn(region))
        support.create_log_group(moto_url, arn(region, "/aws/vendedlogs/gatewatch/multi"))
    return run


def endpoints(regions: Regions) -> list[str]:
    return [arg for region, (_, url) in regions.items()
            for arg in ("--endpoint-url", f"{region}={url}")]


def modifications(standin: Ec2StandIn) -> int:
    return standin.calls_by_action().get("ModifyVpnTunnelOptions", 0)


def test_status_reads_each_connection_in_its_own_region(regions: Regions,
                                                         run_cli: Callable[..., Any]) -> None:
    done = run_cli("status", "--region", EAST, VPN_E, f"{WEST}/{VPN_W}", "--no-maintenance",
                   *endpoints(regions))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines.index(f"{EAST}:") < lines.index(f"{VPN_E}  state=available") \
        < lines.index(f"{WEST}:") < lines.index(f"{VPN_W}  state=available")


def test_apply_across_two_regions_one_report_each_region_its_own_group(
        regions: Regions, run_cli: Callable[..., Any]) -> None:
    done = run_cli("apply", f"{EAST}/{VPN_E}", f"{WEST}/{VPN_W}", *endpoints(regions),
                   "--log-group-arn", arn(WEST), "--log-group-arn", arn(EAST),
                   "--poll", POLL, "--timeout", "20")
    assert done.returncode == 0, done.stderr
    assert f"1 connection(s) in {EAST}, one tunnel at a time" in done.stdout
    assert f"1 connection(s) in {WEST}, one tunnel at a time" in done.stdout
    assert "changed 4, skipped 0, failed 0" in done.stdout  # one summary for both regions
    for region, (standin, _) in regions.items():
        vpn = VPN_E if region == EAST else VPN_W
        for ip in standin.tunnel_ips(vpn):
            assert standin.log_options(vpn, ip)["LogGroupArn"] == arn(region)
        assert support.max_both_down_seconds(standin) == 0.0


def test_apply_from_the_stack_file_derives_each_regions_log_group(
        regions: Regions, run_cli: Callable[..., Any], tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.multi.yaml"
    stack.write_text(yaml.safe_dump({"config": {"gatewatch:aws": {
        "region": EAST, "vpnConnections": [VPN_E], "ec2EndpointUrl": regions[EAST][1],
        "regions": {WEST: {"vpnConnections": [VPN_W], "ec2EndpointUrl": regions[WEST][1]}},
        "bgpLogs": False, "tunnelLifecycleControl": False, "pollSeconds": 5}}}),
        encoding="utf-8")
    done = run_cli("apply", "--stack", str(stack), "--poll", POLL, "--timeout", "20")
    assert done.returncode == 0, done.stderr
    assert "changed 4, skipped 0, failed 0" in done.stdout
    for region, (standin, _) in regions.items():
        vpn = VPN_E if region == EAST else VPN_W
        for ip in standin.tunnel_ips(vpn):
            options = standin.log_options(vpn, ip)
            assert options["LogGroupArn"] == arn(region, "/aws/vendedlogs/gatewatch/multi")
    # one id of the stack: only its region is touched
    done = run_cli("status", "--stack", str(stack), VPN_W, "--no-maintenance")
    assert done.returncode == 0, done.stderr
    assert VPN_W in done.stdout and VPN_E not in done.stdout


def test_an_unknown_id_in_the_second_region_changes_nothing_in_the_first(
        regions: Regions, run_cli: Callable[..., Any]) -> None:
    done = run_cli("apply", f"{EAST}/{VPN_E}", f"{WEST}/vpn-0aaaaaaaaaaaaaaa9",
                   *endpoints(regions), "--log-group-arn", arn(EAST),
                   "--log-group-arn", arn(WEST), "--poll", POLL)
    assert done.returncode == 2
    assert f"error: {WEST}: unknown VPN connection id: vpn-0aaaaaaaaaaaaaaa9" in \
        support.one_error_line(done)
    assert modifications(regions[EAST][0]) == modifications(regions[WEST][0]) == 0


@pytest.mark.parametrize(("args", "words"), [
    (["status", "tokyo/vpn-0123456789abcdef0"],
     "VPN_ID 'tokyo/vpn-0123456789abcdef0': 'tokyo' is not an AWS region; write REGION/vpn-id"),
    (["status", "us-west-2/vpn-xyz"], "VPN_ID 'us-west-2/vpn-xyz' is not a VPN connection id"),
    (["status", "vpn-0123456789abcdef0"],
     "VPN_ID 'vpn-0123456789abcdef0' has no region: pass --region REGION, write it as "
     "REGION/vpn-0123456789abcdef0, or take the ids from a stack with --stack FILE"),
    (["status"], "give the VPN connections: VPN_ID ..."),
    (["status", "--region", "us-east-1", "us-west-2/vpn-0123456789abcdef0"],
     "--region us-east-1 has no effect: every VPN_ID names its region; drop --region"),
    (["apply", "us-west-2/vpn-0123456789abcdef0", "eu-west-1/vpn-0123456789abcdef1",
      "--log-group-arn", "arn:aws:logs:us-west-2:123456789012:log-group:/x"],
     "--log-group-arn: none for eu-west-1 (vpn-0123456789abcdef1), a tunnel logs only to a "
     "group in its own region; add --log-group-arn arn:aws:logs:eu-west-1:"),
    (["apply", "us-west-2/vpn-0123456789abcdef0", "eu-west-1/vpn-0123456789abcdef1",
      "--log-group-arn", "arn:aws:logs:us-west-2:123456789012:log-group:/x",
      "--log-group-arn", "arn:aws:logs:ap-south-1:123456789012:log-group:/x"],
     "--log-group-arn is in region ap-south-1, where none of the VPN connections is "
     "(us-west-2, eu-west-1); give one --log-group-arn per region, in it"),
    (["status", "--endpoint-url", "us-west-2=http://127.0.0.1:1", "--endpoint-url",
      "us-west-2=http://127.0.0.1:2", "us-west-2/vpn-0123456789abcdef0"],
     "--endpoint-url is given twice for us-west-2; give one per region as REGION=URL"),
])
def test_bad_id_forms_and_region_flags_are_one_line(run_cli: Callable[..., Any],
                                                    args: list[str], words: str) -> None:
    done = run_cli(*args)
    assert done.returncode == 2
    assert words in support.one_error_line(done)


def test_stack_flags_that_conflict_are_one_line(run_cli: Callable[..., Any], tmp_path: Path
                                                ) -> None:
    stack = tmp_path / "Pulumi.multi.yaml"
    stack.write_text(yaml.safe_dump({"config": {"gatewatch:aws": {
        "regions": {WEST: {"vpnConnections": [VPN_W]}}}}}), encoding="utf-8")
    for args, words in (
            (["status", "--stack", str(stack), "--region", WEST],
             "--region has no effect with --stack"),
            (["status", "--stack", str(stack), VPN_E],
             f"VPN_ID {VPN_E}: not in the stack's gatewatch:aws"),
            (["status", "--stack", str(stack), f"{EAST}/{VPN_W}"],
             f"the stack lists it in {WEST}; write {WEST}/{VPN_W}"),
            (["apply", "--stack", str(stack), "--format", "text"],
             "--format: with --stack and no --log-group-arn the stack's gatewatch:aws says "
             "what to set"),
            (["status", "--stack", str(tmp_path / "Pulumi.none.yaml")], "Pulumi.none.yaml")):
        done = run_cli(*args)
        assert done.returncode == 2, args
        assert words in support.one_error_line(done), args


def test_a_connection_of_another_account_is_changed_under_its_assumed_role(
        regions: Regions, run_cli: Callable[..., Any], moto_url: str, tmp_path: Path) -> None:
    """moto answers AssumeRole and keeps each account's resources apart: the log group exists
    only in the other account, and the ARN the tunnels get names that account, which only the
    assumed role's GetCallerIdentity can have told the command."""
    import boto3

    from gatewatch.aws.sessions import session_for

    role = "arn:aws:iam::210987654321:role/gatewatch-deploy"
    session_for(WEST, role, boto3.Session(region_name=WEST)).client(
        "logs", endpoint_url=moto_url).create_log_group(
            logGroupName="/aws/vendedlogs/gatewatch/multi")
    stack = tmp_path / "Pulumi.multi.yaml"
    stack.write_text(yaml.safe_dump({"config": {"gatewatch:aws": {
        "region": EAST, "vpnConnections": [VPN_E], "ec2EndpointUrl": regions[EAST][1],
        "accounts": [{"roleArn": role, "regions": {WEST: {
            "vpnConnections": [VPN_W], "ec2EndpointUrl": regions[WEST][1]}}}],
        "bgpLogs": False, "tunnelLifecycleControl": False}}}), encoding="utf-8")
    done = run_cli("apply", "--stack", str(stack), "--poll", POLL, "--timeout", "20")
    assert done.returncode == 0, done.stderr
    assert f"1 connection(s) in 210987654321/{WEST}" in done.stdout
    west, _ = regions[WEST]
    for ip in west.tunnel_ips(VPN_W):
        assert west.log_options(VPN_W, ip)["LogGroupArn"] == (
            f"arn:aws:logs:{WEST}:210987654321:log-group:/aws/vendedlogs/gatewatch/multi")


def test_the_journal_is_kept_in_each_regions_own_group(
        regions: Regions, run_cli: Callable[..., Any], moto_url: str) -> None:
    """Across regions each region's changes are journaled in that region's group (a tunnel's
    journal is read by the next run in the same region), and maintenance needs one
    --journal-group-arn per region: with one for two regions it is one line naming the other
    region, before any change."""
    done = run_cli("maintenance", f"{EAST}/{VPN_E}", f"{WEST}/{VPN_W}", *endpoints(regions),
                   "--journal-group-arn", arn(EAST))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"gatewatch aws-tunnels: error: --journal-group-arn is required for maintenance in "
        f"{WEST}: the kit's log group, where each tunnel change is recorded before it is made so "
        "a rerun or a second run waits for it; e.g. --journal-group-arn "
        f"arn:aws:logs:{WEST}:123456789012:log-group:/aws/vendedlogs/vpn"]
    assert all(modifications(s) == 0 for s, _ in regions.values())
    done = run_cli("apply", f"{EAST}/{VPN_E}", f"{WEST}/{VPN_W}", *endpoints(regions),
                   "--log-group-arn", arn(EAST), "--log-group-arn", arn(WEST),
                   "--poll", POLL, "--timeout", "20")
    assert done.returncode == 0, done.stderr
    for region, vpn in ((EAST, VPN_E), (WEST, VPN_W)):
        records = support.journal_records(moto_url, arn(region))
        assert {(r.vpn_connection_id, r.kind) for r in records} == {(vpn, "options")}, region
        assert len({r.tunnel for r in records}) == 2, region
