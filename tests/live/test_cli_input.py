"""The flags of `gatewatch doctor` and `gatewatch triage` through the CLI, against the
stand-ins: bad input is exit 2 with one line naming the flag and the fix, before any cloud is
called; a missing workspace, a page that cannot be written and a tunnel the logs do not know
are said, and the rest of the answer is still printed."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from gatewatch.cli import main
from gatewatch.live.inputs import earliest
from tests.support.live_world import GW_ID, SUB, World
from tests.support.triage_scenarios import build

OTHER_SUB = "99999999-8888-7777-6666-555555555555"
GW2_NAME = "vpngw-hub-02"
GW2_ID = GW_ID.replace("vpngw-hub-01", GW2_NAME)


@pytest.fixture
def estate(estate: World) -> World:
    """The healthy estate with one same-instance drop of the first tunnel, two hours ago."""
    build(estate.healthy(), "same-instance")
    return estate


def triage(w: World, capsys: pytest.CaptureFixture[str], *extra: str, json_out: bool = True,
           ip: str | None = None, times: tuple[str, ...] | None = None
           ) -> tuple[int, Any, str]:
    if times is None:
        times = ("--from", (w.now - dt.timedelta(hours=2, minutes=30)).isoformat(),
                 "--to", (w.now - dt.timedelta(minutes=30)).isoformat())
    argv = ["triage", "--config-file", str(w.config_file),
            "--remote-ip", w.tunnel_ips()[0] if ip is None else ip, *times, *extra]
    code = main([*argv, "--json"] if json_out else argv)
    out = capsys.readouterr()
    parsed = json.loads(out.out) if json_out and out.out.strip() else out.out
    return code, parsed, out.err


def assert_one_line(err: str, start: str) -> None:
    assert err.startswith(start), err
    assert err.count("\n") == 1 and "Traceback" not in err, err


def assert_no_cloud_call(w: World) -> None:
    assert w.azure.requests == [] and w.ec2.calls == [] and w.health.calls == []


def with_second_gateway(w: World) -> None:
    w.config_file.write_text(w.config_file.read_text().replace(
        "    alerts:\n", f"      - id: {GW2_ID}\n        vpnType: RouteBased\n"
                        "        maintenanceWindow: false\n    alerts:\n"), encoding="utf-8")


# --- 1. the stack's workspace does not exist ---------------------------------------------------

@pytest.mark.parametrize("how", ["flag", "environment"])
def test_missing_workspace_names_it_and_the_fix_and_keeps_the_aws_side(
        estate: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        how: str) -> None:
    extra: tuple[str, ...] = ("--subscription", OTHER_SUB) if how == "flag" else ()
    if how == "environment":
        monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", OTHER_SUB)
    code, result, err = triage(estate, capsys, *extra)
    assert code == 1
    flag = "--subscription" if how == "flag" else "AZURE_SUBSCRIPTION_ID"
    assert_one_line(err, f"error: the stack's Log Analytics workspace /subscriptions/{OTHER_SUB}/")
    assert "log-gatewatch-live does not exist" in err
    assert "`pulumi up --stack live`" in err and f"check {flag}" in err
    # the AWS side of the timeline is still there, and says Azure was not read
    assert [d["clouds"] for d in result["drops"]] == [["aws"]]
    assert any(n.startswith("Azure: not read, workspace") for n in result["notes"])
    assert not any(q.startswith("queries/") for q in result["sources"])


def test_missing_workspace_of_an_azure_only_stack_is_the_one_line(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    text = estate.config_file.read_text()
    estate.config_file.write_text(text[:text.index("  gatewatch:aws:")], encoding="utf-8")
    code, out, err = triage(estate, capsys, "--subscription", OTHER_SUB, json_out=False)
    assert code == 1 and out == ""
    assert_one_line(err, "error: the stack's Log Analytics workspace")
    assert "`pulumi up --stack live`" in err and "check --subscription" in err


def test_a_missing_adopted_workspace_names_the_config_key(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    adopted = (f"/subscriptions/{SUB}/resourceGroups/rg-shared/providers/"
               "Microsoft.OperationalInsights/workspaces/log-shared")
    estate.config_file.write_text(estate.config_file.read_text().replace(
        "      name: log-gatewatch-live\n", f"      existingId: {adopted}\n"), encoding="utf-8")
    code, result, err = triage(estate, capsys)
    assert code == 1
    assert_one_line(err, f"error: the stack's Log Analytics workspace {adopted} does not exist: "
                         "check gatewatch:azure.workspace.existingId")
    assert [d["clouds"] for d in result["drops"]] == [["aws"]]


# --- 2. --html -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "reason"), [
    ("", "is empty"),
    ("{tmp}", "{tmp} is a directory; pass a file in it, like {tmp}/incident.html"),
    ("{tmp}/a-file/x.html", "{tmp}/a-file is a file, not a directory"),
    ("{tmp}/a-file/deeper/x.html", "{tmp}/a-file is a file, not a directory"),
    ("{tmp}/no-such-dir/x.html", "directory {tmp}/no-such-dir does not exist"),
    ("/sys/x.html", "/sys is not writable"),
    ("/proc/version", "/proc is not writable"),
])
def test_an_unwritable_page_is_refused_before_any_cloud_call(
        estate: World, capsys: pytest.CaptureFixture[str], path: str, reason: str) -> None:
    tmp = estate.tmp / "pages"
    tmp.mkdir()
    (tmp / "a-file").write_text("not a directory", encoding="utf-8")
    code, out, err = triage(estate, capsys, "--html", path.format(tmp=tmp), json_out=False)
    assert code == 2 and out == ""
    assert_one_line(err, f"error: --html: {reason.format(tmp=tmp)}")
    assert_no_cloud_call(estate)
    assert sorted(p.name for p in tmp.iterdir()) == ["a-file"]  # no probe left behind


def test_a_page_that_cannot_be_written_at_the_end_keeps_the_timeline(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    # /dev/full opens for writing (the check passes) and every write fails: no space left
    code, text, err = triage(estate, capsys, "--html", "/dev/full", json_out=False)
    assert code == 1
    assert "Drop 1:" in text and "Same-instance reconnect" in text and "wrote" not in text
    assert_one_line(err, "error: --html: the page /dev/full could not be written (No space "
                         "left on device); the timeline is printed above")
    code, result, err = triage(estate, capsys, "--html", "/dev/full")
    assert code == 1 and len(result["drops"]) == 1 and "could not be written" in err


def test_a_page_is_written_whole_over_an_existing_file(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    page = estate.tmp / "out" / "incident.html"
    page.parent.mkdir()
    page.write_text("old", encoding="utf-8")
    code, text, err = triage(estate, capsys, "--html", str(page), json_out=False)
    assert code == 0, err
    assert text.endswith(f"wrote {page}\n")
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in page.parent.iterdir()] == ["incident.html"]
    # through a symbolic link: the file it points at is replaced, the link kept
    link = estate.tmp / "latest.html"
    link.symlink_to(page)
    page.write_text("old", encoding="utf-8")
    code, text, err = triage(estate, capsys, "--html", str(link), json_out=False)
    assert code == 0, err
    assert link.is_symlink() and page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# --- 5. a typo must not change the answer silently ----------------------------------------------

@pytest.mark.parametrize(("gateway", "line"), [
    (GW_ID.replace("hub-01", "hub-O1"),
     f"error: --gateway: vpngw-hub-O1 is not a gateway of stack live (gatewatch:azure.gateways)"
     f"; did you mean {GW_ID}?"),
    (GW_ID.replace(SUB, OTHER_SUB), "error: --gateway: vpngw-hub-01 is not a gateway of stack "
     f"live (gatewatch:azure.gateways); did you mean {GW_ID}?"),
    ("vpngw-hub-01", "error: --gateway: expected a virtual network gateway id, /subscriptions/"
     "<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworkGateways/<name>; "
     f"did you mean {GW_ID}?"),
])
def test_a_gateway_not_in_the_stack_is_refused_with_the_closest(
        estate: World, capsys: pytest.CaptureFixture[str], gateway: str, line: str) -> None:
    code, out, err = triage(estate, capsys, "--gateway", gateway)
    assert code == 2 and out == ""
    assert_one_line(err, line)
    assert_no_cloud_call(estate)


def test_the_stacks_gateway_in_other_case_is_accepted(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, result, err = triage(estate, capsys, "--gateway", GW_ID.upper())
    assert code == 0, err
    assert {d["verdict"] for d in result["drops"]} == {"same-instance-reconnect"}
    assert not any(n.startswith("Azure: no records") for n in result["notes"])
    assert len(estate.azure.queries) == 4  # the tunnel was found: no query for the note


def test_a_remote_ip_without_azure_records_says_so_and_the_closest(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    known = estate.tunnel_ips()[0]
    typo = known + "9"
    code, text, err = triage(estate, capsys, ip=typo, json_out=False)
    assert code == 0, err
    assert "No drops in this range." in text
    assert (f"note: Azure: no records for remote IP {typo} in this range "
            "(queries/tunnel-history.yaml, queries/ike-parse.yaml); "
            f"did you mean {known}? (remote IPs logged: {known})") in text
    assert f"AWS: no tunnel with outside IP {typo}" in text
    # the note's query is the kit's tunnel-history for every tunnel over the same range
    assert 'let RemoteIP = "";' in estate.azure.queries[-1]
    assert 'let GatewayName = "";' in estate.azure.queries[-1]


def test_a_configured_gateway_without_records_says_which_has_them(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    with_second_gateway(estate)
    code, result, err = triage(estate, capsys, "--gateway", GW2_ID)
    assert code == 0, err
    assert not [d for d in result["drops"] if "azure" in d["clouds"]]
    assert (f"Azure: no records for gateway {GW2_NAME} in this range (queries/tunnel-history."
            f"yaml); did you mean vpngw-hub-01? (gateways with tunnel records: vpngw-hub-01)"
            ) in result["notes"]


def test_a_remote_ip_on_another_gateway_names_that_gateway(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    with_second_gateway(estate)
    ip = estate.tunnel_ips()[0]
    estate.add_rows({**estate.diag_row("TunnelDiagnosticLog", estate.now - dt.timedelta(hours=1),
                                       OperationName="TunnelConnected", remoteIP_s="192.0.2.7",
                                       instance_s="GatewayTenantWorker_IN_0"),
                     "Resource": GW2_NAME.upper()})
    code, result, err = triage(estate, capsys, "--gateway", GW2_ID)
    assert code == 0, err
    assert (f"Azure: no records for remote IP {ip} on gateway {GW2_NAME} in this range "
            "(queries/tunnel-history.yaml, queries/ike-parse.yaml); "
            f"{ip} has records on gateway vpngw-hub-01: pass that gateway's id to --gateway, "
            "or leave --gateway out") in result["notes"]


def test_a_workspace_without_tunnel_records_says_so(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    times = ("--from", (estate.now - dt.timedelta(days=3)).isoformat(),
             "--to", (estate.now - dt.timedelta(days=2)).isoformat())
    code, result, err = triage(estate, capsys, times=times)
    assert code == 0, err
    assert any("the workspace has no tunnel records in this range at all" in n
               and "gatewatch doctor" in n for n in result["notes"])


@pytest.mark.parametrize("form", ["::ffff:{ip}", "::FFFF:{ip}", "{hex}", " {ip} "])
def test_an_ipv4_mapped_address_is_the_ipv4_address(
        estate: World, capsys: pytest.CaptureFixture[str], form: str) -> None:
    ip = estate.tunnel_ips()[0]
    a, b, c, d = (int(x) for x in ip.split("."))
    mapped = form.format(ip=ip, hex=f"::ffff:{a * 256 + b:x}:{c * 256 + d:x}")
    code, result, err = triage(estate, capsys, ip=mapped)
    assert code == 0, err
    assert result["remote_ip"] == ip
    # one outage, seen from both ends: one drop
    assert [sorted(d["clouds"]) for d in result["drops"]] == [["aws", "azure"]]
    assert not result["notes"][:-1], result["notes"]  # only the AWS tunnel's state


# --- 6. --stack and --subscription ---------------------------------------------------------------

@pytest.mark.parametrize("command", ["doctor", "triage"])
@pytest.mark.parametrize(("args", "line"), [
    (["--stack", ""], "error: --stack: is empty (an unset variable?); pass a stack name"),
    (["--stack", "  "], "error: --stack: is empty (an unset variable?); pass a stack name"),
    (["--config-file", ""], "error: --config-file: is empty (an unset variable?); pass the path"),
])
def test_an_empty_stack_or_config_file_is_refused(
        estate: World, capsys: pytest.CaptureFixture[str], command: str, args: list[str],
        line: str) -> None:
    extra = ["--remote-ip", "203.0.113.10", "--since", "2h"] if command == "triage" else []
    code = main([command, *args, *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert_one_line(err, line)
    assert_no_cloud_call(estate)


@pytest.mark.parametrize(("value", "env", "line"), [
    ("notaguid", False, "error: --subscription: 'notaguid' is not a subscription id; pass the "
                        "GUID"),
    ("", False, "error: --subscription: is empty (an unset variable?)"),
    (f"{SUB}x", False, "error: --subscription: "),
    ("notaguid", True, "error: AZURE_SUBSCRIPTION_ID: 'notaguid' is not a subscription id"),
])
def test_a_subscription_that_is_not_a_guid_is_refused(
        estate: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        value: str, env: bool, line: str) -> None:
    if env:
        monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", value)
    code = main(["doctor", "--config-file", str(estate.config_file),
                 *([] if env else ["--subscription", value])])
    out = capsys.readouterr()
    assert code == 2 and out.out == ""
    assert_one_line(out.err, line)
    assert_no_cloud_call(estate)


def test_a_guid_in_capitals_is_a_subscription(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, result, err = triage(estate, capsys, "--subscription", SUB.upper())
    assert code == 0, err
    # one outage, seen from both ends: one drop
    assert [sorted(d["clouds"]) for d in result["drops"]] == [["aws", "azure"]]


# --- 9. times ------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "end"), [
    ("0001-01-01T00:00:00Z", "0001-01-02T00:00:00Z"),
    ("0001-01-01T00:00:00+01:00", "0001-01-02T00:00:00Z"),  # before year 1 in UTC
    ("1969-12-31T23:00:00Z", "1970-01-01T01:00:00Z"),
    (-13 * 366, -13 * 366 + 1),  # days from now: 13 years back
])
def test_a_time_before_the_logs_can_hold_is_refused_naming_the_earliest(
        estate: World, capsys: pytest.CaptureFixture[str], start: str | int,
        end: str | int) -> None:
    def text(value: str | int) -> str:
        return value if isinstance(value, str) else \
            (estate.now + dt.timedelta(days=value)).isoformat()

    code, out, err = triage(estate, capsys, times=("--from", text(start), "--to", text(end)))
    assert code == 2 and out == ""
    first = earliest(dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert_one_line(err, "error: --from: ")
    assert err.rstrip().endswith(f"give a time from {first} on"), err
    assert_no_cloud_call(estate)


def test_the_earliest_time_named_is_accepted(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    first = earliest(dt.datetime.now(dt.UTC))
    code, result, err = triage(estate, capsys, times=(
        "--from", first.isoformat(), "--to", (first + dt.timedelta(hours=1)).isoformat()))
    assert code == 0, err
    assert result["from"] == first.strftime("%Y-%m-%dT%H:%M:%SZ") and result["drops"] == []


def test_a_lower_case_z_and_t_are_utc(estate: World,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    start = estate.now - dt.timedelta(hours=2, minutes=30)
    end = estate.now - dt.timedelta(minutes=30)
    upper = triage(estate, capsys, times=("--from", start.strftime(fmt),
                                          "--to", end.strftime(fmt)))
    lower = triage(estate, capsys, times=("--from", start.strftime(fmt).lower(),
                                          "--to", end.strftime(fmt).lower()))
    assert upper[0] == lower[0] == 0, lower[2]
    assert lower[1]["drops"] == upper[1]["drops"] and len(lower[1]["drops"]) == 1


@pytest.mark.parametrize(("since", "line"), [
    ("0m", "error: --since: 0m must be a positive duration; write e.g. 30m, 2h or 1d"),
    ("00h", "error: --since: 00h must be a positive duration"),
    ("-5m", "error: --since: -5m must be a positive duration"),
    ("99999999999999d", "error: --since: 99999999999999d is longer than 30 days"),
    ("2 hours", "error: --since: '2 hours' is not a duration; write e.g. 30m, 2h or 1d"),
])
def test_since_must_be_a_positive_duration(
        estate: World, capsys: pytest.CaptureFixture[str], since: str, line: str) -> None:
    code, out, err = triage(estate, capsys, times=(f"--since={since}",))
    assert code == 2 and out == ""
    assert_one_line(err, line)
    assert_no_cloud_call(estate)
