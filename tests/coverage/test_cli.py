"""`gatewatch coverage` through the CLI against the Resource Graph and EC2 stand-ins
(tests/support/coverage_world.py): watched and unwatched across subscriptions and regions,
paging, throttling on both clouds, an unreachable region, exit codes, --json, bad input and
logins. Every test also checks that nothing but reads reached the stand-ins."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from gatewatch.cli import main
from gatewatch.paths import PROJECT_ROOT
from tests.support import coverage_world as cw
from tests.support.standins.faults import refused_port


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[cw.CoverageWorld]:
    with cw.coverage_world(tmp_path, monkeypatch) as w:
        w.estate()
        w.azure.graph.page_size = 2  # 5 readable gateways: 3 pages
        yield w
        assert w.mutating_calls() == []


def stacks(w: cw.CoverageWorld) -> list[str]:
    # The policy-based gateway is listed in upper case: ARM ids compare case-insensitively.
    dev = w.stack("dev", cw.azure_section(cw.HUB, cw.LEGACY.upper().replace(
        "/SUBSCRIPTIONS/", "/subscriptions/")), cw.aws_section("ap-northeast-1", cw.VPN_TOKYO))
    us = w.stack("us", cw.aws_section("us-east-1", cw.VPN_VIRGINIA))
    return ["--stack", str(dev), "--stack", str(us)]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["coverage", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def block(out: str, start: str) -> str:
    """The lines of one item: its head line (starting with `start`) and the indented ones."""
    lines = out.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(start))
    taken = [lines[index]]
    for line in lines[index + 1:]:
        if not line.startswith(" "):
            break
        taken.append(line)
    return "\n".join(taken)


def test_marks_watched_and_unwatched_across_subscriptions_and_regions(
        world: cw.CoverageWorld, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *stacks(world))
    assert code == 1, err
    hub = block(out, "WATCHED    azure vpngw-hub-01")
    assert "watched by Pulumi.dev.yaml" in hub
    assert "watched by Pulumi.dev.yaml" in block(out, "WATCHED    azure vpngw-branch-legacy")
    partner = block(out, "UNWATCHED  azure vpngw-partner")
    assert f"  - id: {cw.PARTNER}" in partner
    portal = block(out, "UNWATCHED  azure vpngw-created-in-portal")
    assert "fix: add under gatewatch:azure.gateways in Pulumi.dev.yaml:" in portal
    # two fixes for one stack: two list indexes, never the same one twice
    commands = [line.split("'")[1] for line in out.splitlines() if "pulumi config set" in line
                and "azure.gateways" in line]
    assert sorted(commands) == ["gatewatch:azure.gateways[2].id",
                                "gatewatch:azure.gateways[3].id"]
    assert "ExpressRoute gateway" in block(out, "N/A        azure ergw-01")
    assert "vpngw-other-tenant-team" not in out  # a subscription the login cannot read
    assert "Azure: 5 virtual network gateway(s) in 2 subscription(s), Resource Graph 3 page(s)" \
        in out
    # AWS: every enabled region, watched by region and id; deleted and not-enabled left out
    assert "AWS: 5 Site-to-Site VPN connection(s) in 4 of 4 enabled region(s)" in out
    assert "watched by Pulumi.dev.yaml" in block(out, f"WATCHED    aws   {cw.VPN_TOKYO}")
    assert "watched by Pulumi.us.yaml" in block(out, f"WATCHED    aws   {cw.VPN_VIRGINIA}")
    tokyo_2 = block(out, f"UNWATCHED  aws   {cw.VPN_TOKYO_2}")
    assert "add under gatewatch:aws.vpnConnections in Pulumi.dev.yaml:" in tokyo_2
    assert f"pulumi config set --path 'gatewatch:aws.vpnConnections[1]' {cw.VPN_TOKYO_2} " \
           "--stack dev" in tokyo_2
    # a region no stack lists yet: under gatewatch:aws.regions of the stack with AWS
    ireland = block(out, f"UNWATCHED  aws   {cw.VPN_IRELAND}")
    assert "add under gatewatch:aws.regions in Pulumi.dev.yaml:" in ireland
    assert f"eu-west-1:\n{' ' * 19}  vpnConnections:\n{' ' * 19}    - {cw.VPN_IRELAND}" \
        in ireland
    assert "pulumi config set --path 'gatewatch:aws.regions[\"eu-west-1\"].vpnConnections[0]' " \
           f"{cw.VPN_IRELAND} --stack dev" in ireland
    assert cw.VPN_DELETED not in out and cw.VPN_BAHRAIN not in out
    assert out.rstrip().endswith("4 watched, 5 unwatched, 1 not applicable")
    # what the stand-ins saw: paged with $skipToken, every enabled region once
    bodies = world.azure.graph.bodies
    assert [("$skipToken" in (b.get("options") or {})) for b in bodies] == [False, True, True]
    assert all("subscriptions" not in b for b in bodies)  # every subscription the login sees
    regions = sorted(c.region or "" for c in world.ec2.calls
                     if c.action == "DescribeVpnConnections")
    assert regions == ["ap-east-1", "ap-northeast-1", "eu-west-1", "us-east-1"]
    assert err == ""


def test_everything_watched_is_exit_0(world: cw.CoverageWorld,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    one = world.stack("one", cw.azure_section(cw.HUB, cw.LEGACY, cw.SHADOW),
                      cw.aws_section("ap-northeast-1", cw.VPN_TOKYO, cw.VPN_TOKYO_2))
    two = world.stack("two", cw.azure_section(cw.PARTNER, cw.HUB),
                      cw.aws_section("eu-west-1", cw.VPN_IRELAND))
    three = world.stack("three", cw.aws_section("us-east-1", cw.VPN_VIRGINIA))
    four = world.stack("four", cw.aws_section("ap-east-1", cw.VPN_HONG_KONG))
    code, out, err = run(capsys, *(f"--stack={p}" for p in (one, two, three, four)))
    assert code == 0, out + err
    assert "watched by Pulumi.one.yaml, Pulumi.two.yaml" in block(
        out, "WATCHED    azure vpngw-hub-01")
    assert out.rstrip().endswith("9 watched, 0 unwatched, 1 not applicable")
    assert "UNWATCHED" not in out


def test_json_shape(world: cw.CoverageWorld, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *stacks(world), "--json")
    assert code == 1
    doc = json.loads(out)
    assert doc["ok"] is False
    assert doc["summary"] == {"watched": 4, "unwatched": 5, "notApplicable": 1, "notRead": 0}
    by_id = {i["id"]: i for i in doc["items"]}
    assert by_id[cw.HUB] | {"fix": None} == {
        "cloud": "azure", "id": cw.HUB, "name": "vpngw-hub-01",
        "where": f"{cw.SUB_A}/rg-hub-network japaneast", "kind": "Vpn", "status": "watched",
        "watchedBy": ["Pulumi.dev.yaml"], "fix": None}
    assert by_id[cw.VPN_IRELAND]["fix"] == {
        "file": "Pulumi.dev.yaml", "under": "gatewatch:aws.regions",
        "command": "pulumi config set --path 'gatewatch:aws.regions[\"eu-west-1\"]"
                   f".vpnConnections[0]' {cw.VPN_IRELAND} --stack dev",
        "lines": ["eu-west-1:", "  vpnConnections:", f"    - {cw.VPN_IRELAND}"]}
    assert by_id[cw.EXPRESS]["status"] == "na"
    assert doc["reads"]["aws"]["regions"] == ["ap-east-1", "ap-northeast-1", "eu-west-1",
                                              "us-east-1"]
    assert doc["reads"]["azure"] == {"gateways": 5, "pages": 3, "throttled": 0}


def test_resource_graph_throttling_is_waited_out(
        world: cw.CoverageWorld, capsys: pytest.CaptureFixture[str]) -> None:
    graph = world.azure.graph
    graph.quota, graph.window = 2, 1.0  # a page's answer says when the quota is used up
    graph.throttle_next = 1  # and the first query is answered 429 RateLimiting
    started = time.monotonic()
    code, out, err = run(capsys, *stacks(world), "--azure-only")
    assert code == 1, err
    assert graph.throttled == 1  # the 429; the quota headers kept every other query under it
    assert "Resource Graph 3 page(s), 1 throttled answer(s) waited out" in out
    assert out.count("azure vpngw-") == 4 and "NOT READ" not in out
    assert time.monotonic() - started >= 1.0  # it did wait for the quota's reset
    assert world.ec2.calls == []  # --azure-only


def test_ec2_throttling_is_retried(world: cw.CoverageWorld,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    world.ec2.inject_errors("DescribeVpnConnections", "RequestLimitExceeded", count=3)
    code, out, err = run(capsys, *stacks(world), "--aws-only")
    assert code == 1, err
    refused = [c for c in world.ec2.calls if c.error_code == "RequestLimitExceeded"]
    assert len(refused) == 3
    assert "in 4 of 4 enabled region(s)" in out and "NOT READ" not in out
    assert world.azure.graph.bodies == []  # --aws-only


def test_an_unreachable_region_is_named_and_the_rest_still_reported(
        world: cw.CoverageWorld, capsys: pytest.CaptureFixture[str]) -> None:
    with refused_port() as dead:
        hk = world.stack("hk", cw.aws_section("ap-east-1", cw.VPN_HONG_KONG, endpoint=dead))
        code, out, err = run(capsys, *stacks(world), "--stack", str(hk))
    assert code == 1, err
    (line,) = [x for x in out.splitlines() if x.startswith("NOT READ")]
    assert line.startswith("NOT READ   aws   region ap-east-1 (the EC2 endpoint of "
                           "Pulumi.hk.yaml, gatewatch:aws.ec2EndpointUrl): EC2 ap-east-1 "
                           f"connection refused to {dead}")
    assert "check the network path" in line
    assert cw.VPN_HONG_KONG not in out.replace(line, "")  # not claimed watched or unwatched
    assert "in 3 of 4 enabled region(s)" in out
    assert f"WATCHED    aws   {cw.VPN_VIRGINIA}" in out and "azure vpngw-hub-01" in out
    assert out.rstrip().endswith("not read (region ap-east-1)")


def test_a_region_an_scp_denies_is_named_and_the_rest_still_reported(
        world: cw.CoverageWorld, capsys: pytest.CaptureFixture[str]) -> None:
    """An organization's SCP denying EC2 in one region answers UnauthorizedOperation there
    only: that region is NOT READ with the service's reason, its connection is neither watched
    nor unwatched, and every other region is still reported (exit 1)."""
    world.ec2.inject_errors(
        "DescribeVpnConnections", "UnauthorizedOperation", count=5, region="eu-west-1",
        message="You are not authorized to perform this operation. Encoded authorization "
                "failure message: Q92aQ6")
    code, out, err = run(capsys, *stacks(world), "--aws-only")
    assert code == 1, err
    (line,) = [x for x in out.splitlines() if x.startswith("NOT READ")]
    assert line.startswith("NOT READ   aws   region eu-west-1")
    assert line.endswith("refused DescribeVpnConnections (UnauthorizedOperation); allow "
                         "ec2:DescribeVpnConnections in eu-west-1 (an IAM policy or the "
                         "organization's SCP denies it there), or accept that region unread")
    assert cw.VPN_IRELAND not in out.replace(line, "")
    assert f"WATCHED    aws   {cw.VPN_TOKYO}" in out and f"WATCHED    aws   {cw.VPN_VIRGINIA}" \
        in out
    assert "in 3 of 4 enabled region(s)" in out


def test_a_bad_stack_path_is_one_line_exit_2(world: cw.CoverageWorld,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    missing = world.tmp / "Pulumi.nope.yaml"
    code, out, err = run(capsys, "--stack", str(missing))
    assert code == 2 and out == ""
    assert err.splitlines() == [f"error: --stack: {missing}: file not found; pass the path of "
                                "a Pulumi.<stack>.yaml file, or leave --stack out for every "
                                "Pulumi.*.yaml of the project"]
    assert world.azure.graph.bodies == [] and world.ec2.calls == []


def test_a_broken_stack_file_names_the_file_and_key(
        world: cw.CoverageWorld, capsys: pytest.CaptureFixture[str]) -> None:
    bad = world.stack("bad", cw.aws_section("ap-northeast-1", "vpn-123"))
    code, out, err = run(capsys, *stacks(world), "--stack", str(bad))
    assert code == 2 and out == "" and "Traceback" not in err
    lines = err.splitlines()  # every problem of the file, each naming it (config model's lines)
    assert lines[0].startswith(f"error: {bad}: gatewatch:aws.vpnConnections[0]: 'vpn-123' is "
                               "not a VPN connection id")
    assert all(x.startswith(f"error: {bad}: ") for x in lines)
    assert world.azure.graph.bodies == [] and world.ec2.calls == []


def test_a_missing_aws_login_is_exit_2_before_any_read(
        world: cw.CoverageWorld, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    code, out, err = run(capsys, *stacks(world))
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert "AWS_SECRET_ACCESS_KEY is not set" in line and line.endswith("or pass --azure-only")
    assert world.azure.graph.bodies == [] and world.ec2.calls == []


def test_no_azure_login_names_the_fix_and_aws_only_still_works(
        world: cw.CoverageWorld, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("IDENTITY_ENDPOINT")
    monkeypatch.delenv("IDENTITY_HEADER")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", world.azure_url)
    code, out, err = run(capsys, *stacks(world))
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert "run `az login`" in line and line.endswith("or pass --aws-only")
    code, out, _ = run(capsys, *stacks(world), "--aws-only")
    assert code == 1 and "AWS: 5 Site-to-Site VPN connection(s)" in out and "Azure" not in out


def test_default_stacks_are_the_projects_stack_files(
        world: cw.CoverageWorld, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--azure-only")
    assert code == 1
    expected = sorted(str(p) for p in PROJECT_ROOT.glob("Pulumi.*.yaml"))
    assert out.splitlines()[0] == f"Stacks compared: {', '.join(expected)}"
    assert "watched by Pulumi.dev.yaml" in block(out, "WATCHED    azure vpngw-hub-01")


def test_the_fix_lines_make_the_connections_watched(
        world: cw.CoverageWorld, capsys: pytest.CaptureFixture[str]) -> None:
    """Every AWS fix, its lines put under the key it names in the stack file it names (as a user
    would paste them), makes the next run mark those connections watched: the lines are valid
    stack config for the multi-region form (gatewatch:aws.regions), read by the config model."""
    argv = stacks(world)
    code, out, _ = run(capsys, *argv, "--aws-only", "--json")
    fixes = [i["fix"] for i in json.loads(out)["items"] if i["status"] == "unwatched"]
    assert {f["under"] for f in fixes} == {"gatewatch:aws.vpnConnections",
                                           "gatewatch:aws.regions"}
    for fix in fixes:
        path = world.tmp / fix["file"]
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        section = doc["config"]["gatewatch:aws"]
        added = yaml.safe_load("\n".join(fix["lines"]))
        if fix["under"] == "gatewatch:aws.regions":
            section.setdefault("regions", {}).update(added)
        else:
            section["vpnConnections"] += added
        path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    code, out, err = run(capsys, *argv, "--aws-only")
    assert code == 0, out + err
    assert "UNWATCHED" not in out
    assert f"WATCHED    aws   {cw.VPN_IRELAND}" in out


def test_a_stack_across_regions_and_accounts_watches_each_region(
        world: cw.CoverageWorld, capsys: pytest.CaptureFixture[str]) -> None:
    """The multi-region form: connections under gatewatch:aws.regions are watched in their
    region; those of another account (an assumed role) are not read by this login, which a
    note says instead of calling them missing."""
    path = world.stack("multi", cw.aws_section("ap-northeast-1", cw.VPN_TOKYO) + f"""\
    regions:
      eu-west-1:
        vpnConnections:
          - {cw.VPN_IRELAND}
    accounts:
      - roleArn: arn:aws:iam::210987654321:role/gatewatch-deploy
        regions:
          us-east-1:
            vpnConnections:
              - vpn-0aaaaaaaaaaaaaaa1
""")
    code, out, _ = run(capsys, "--stack", str(path), "--aws-only")
    assert code == 1
    assert "watched by Pulumi.multi.yaml" in block(out, f"WATCHED    aws   {cw.VPN_IRELAND}")
    assert "watched by Pulumi.multi.yaml" in block(out, f"WATCHED    aws   {cw.VPN_TOKYO}")
    assert ("Pulumi.multi.yaml lists 1 connection(s) in account 210987654321 (us-east-1), "
            "which this login does not read") in out
    assert "vpn-0aaaaaaaaaaaaaaa1, which EC2 did not return" not in out
    # the one in a region the stack lists under regions goes there
    virginia = block(out, f"UNWATCHED  aws   {cw.VPN_VIRGINIA}")
    assert "add under gatewatch:aws.regions in Pulumi.multi.yaml:" in virginia
