"""What used to slip through the stack config: regions, Azure naming rules and limits, absurd
numbers, case-duplicate emails, YAML surprises (duplicate keys, alias bombs, dates, syntax),
encrypted values, secrets in messages and an empty --stack."""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatewatch.cli import main
from gatewatch.config.model import parse_config
from gatewatch.config.stack_file import read_stack_file
from gatewatch.errors import SECRET_PLACEHOLDER, BadInput
from tests.support.stacks import WORKSPACE_ID, base_config, gateway_id

TOKEN = "sig=Zm9vYmFyc2VjcmV0dG9rZW4"  # a webhook URL's credential: must never be printed


def problems(config: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(BadInput) as info:
        parse_config(config)
    return {p.path: f"{p.message}; {p.fix}" for p in info.value.problems}


def azure(**keys: Any) -> dict[str, Any]:
    config = base_config()
    config["gatewatch:azure"].update(keys)
    return config


def window(**keys: Any) -> dict[str, Any]:
    return {"start": "01:00", "durationHours": 5, "timeZone": "UTC", **keys}


def _gateway_location(config: dict[str, Any]) -> None:
    config["gatewatch:azure"]["gateways"][0]["location"] = "narnia"


REGION_KEYS: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("gatewatch:azure.location",
     lambda c: c["gatewatch:azure"].update(location="narnia")),
    ("gatewatch:azure.workspace.location",
     lambda c: c["gatewatch:azure"].update(
         workspace={"existingId": WORKSPACE_ID, "location": "narnia"})),
    ("gatewatch:azure.gateways[0].location", _gateway_location),
    ("gatewatch:azure.maintenanceWindow.location",
     lambda c: c["gatewatch:azure"].update(maintenanceWindow=window(location="narnia"))),
]


@pytest.mark.parametrize(("path", "change"), REGION_KEYS, ids=[k for k, _ in REGION_KEYS])
def test_every_region_key_checks_the_one_region_list(
        path: str, change: Callable[[dict[str, Any]], None]) -> None:
    config = base_config()
    change(config)
    assert problems(config)[path].startswith("'narnia' is not an Azure region; ")


def test_a_region_display_name_gets_the_short_name_suggested() -> None:
    found = problems(azure(location="Japan East"))
    assert found["gatewatch:azure.location"].startswith(
        "'Japan East' is not an Azure region; did you mean japaneast? ")
    assert "did you mean westus2?" in problems(azure(location="westus22"))[
        "gatewatch:azure.location"]


def test_gateway_names_follow_azures_naming_rules() -> None:
    config = base_config()
    config["gatewatch:azure"]["gateways"][0]["id"] = gateway_id("rg-hub", "vpngw-" + "x" * 80)
    config["gatewatch:azure"]["gateways"][1]["id"] = gateway_id("rg-hub", "vpngw-hub-")
    found = problems(config)
    for index in (0, 1):
        message = found[f"gatewatch:azure.gateways[{index}].id"]
        assert "is not a valid virtual network gateway name" in message
        assert "1-80" in message and "Azure naming rules" in message


def test_resource_and_workspace_names_name_the_rule() -> None:
    config = azure(resourceGroupName="rg-" + "x" * 90)
    config["gatewatch:azure"]["workspace"]["name"] = "log"
    found = problems(config)
    assert "1-90" in found["gatewatch:azure.resourceGroupName"]
    assert "naming rules" in found["gatewatch:azure.resourceGroupName"]
    assert "4-63" in found["gatewatch:azure.workspace.name"]


def test_tags_follow_azures_tag_limits() -> None:
    found = problems(azure(tags={"owner": "x" * 257, "a/b": "c", "k" * 513: "v"}))
    assert "at most 256" in found["gatewatch:azure.tags.owner"]
    assert "case-insensitive" in problems(azure(tags={"owner": "a", "Owner": "b"}))[
        "gatewatch:azure.tags.Owner"]
    assert "Azure tag limits" in found["gatewatch:azure.tags.a/b"]
    assert "512" in found["gatewatch:azure.tags." + "k" * 513]
    too_many = problems(azure(tags={f"t{i}": "v" for i in range(50)}))
    assert "at most 50" in too_many["gatewatch:azure.tags"]
    assert parse_config(azure(tags={f"t{i}": "" for i in range(49)})).azure


@pytest.mark.parametrize("quota", [1e30, 10_001, float("nan")])
def test_an_absurd_daily_quota_is_rejected_with_the_maximum(quota: float) -> None:
    config = base_config()
    config["gatewatch:azure"]["workspace"]["dailyQuotaGb"] = quota
    message = problems(config)["gatewatch:azure.workspace.dailyQuotaGb"]
    assert "10000" in message or "finite" in message
    config["gatewatch:azure"]["workspace"]["dailyQuotaGb"] = 10_000
    assert parse_config(config).azure


def test_emails_differing_only_in_case_are_duplicates() -> None:
    found = problems(azure(alerts={"emails": ["NetOps@Example.com", "netops@example.com"]}))
    message = found["gatewatch:azure.alerts.emails[1]"]
    assert message.startswith("duplicate of gatewatch:azure.alerts.emails[0]")
    assert "differ only in case" in message
    aws = base_config()
    aws["gatewatch:aws"] = {"region": "ap-northeast-1", "vpnConnections": ["vpn-0123456789abcdef0"],
                            "alarmEmails": ["a@example.com", "A@EXAMPLE.COM"]}
    assert "duplicate of gatewatch:aws.alarmEmails[0]" in problems(aws)[
        "gatewatch:aws.alarmEmails[1]"]


def test_unquoted_yaml_date_and_time_are_told_to_keep_their_format() -> None:
    found = problems(azure(maintenanceWindow=window(
        start=60, startDate=datetime.date(2025, 6, 1))))
    assert found["gatewatch:azure.maintenanceWindow.startDate"] == (
        '2025-06-01 was read by YAML as a date, not as text; keep the format and quote it: '
        '"2025-06-01"')
    assert found["gatewatch:azure.maintenanceWindow.start"] == (
        'YAML read the unquoted time 01:00 as the number 60; keep the format and quote it: '
        '"01:00"')


# --- the stack file ---------------------------------------------------------------------

def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "Pulumi.t.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def file_problems(path: Path) -> list[str]:
    with pytest.raises(BadInput) as info:
        read_stack_file(path)
    return [str(p) for p in info.value.problems]


def test_a_key_written_twice_names_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "config:\n  gatewatch:azure:\n    location: japaneast\n"
                           "  aws:region: ap-northeast-1\n  gatewatch:azure:\n"
                           "    location: westeurope\n")
    [message] = file_problems(path)
    assert message.startswith(f"{path}:5: the key 'gatewatch:azure' is written twice, on lines "
                              "2 and 5")


def test_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    path = write(tmp_path, "base: &b {a: 1}\nconfig:\n  x:\n    <<: *b\n    a: 2\n")
    assert read_stack_file(path) == {"x": {"a": 2}}


def test_an_alias_bomb_fails_fast(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = write(tmp_path, "\n".join([*lines, "config: {gatewatch:azure: *a8}"]) + "\n")
    started = time.monotonic()
    [message] = file_problems(path)
    assert time.monotonic() - started < 2
    assert "aliases expand to more than 100,000 values" in message


def test_a_recursive_alias_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "config: &c\n  gatewatch:azure: *c\n")
    [message] = file_problems(path)
    assert "refers to the value that contains it" in message


def test_a_yaml_syntax_error_keeps_the_parsers_reason(tmp_path: Path) -> None:
    path = write(tmp_path, "config:\n  gatewatch:azure: [unclosed\n")
    [message] = file_problems(path)
    assert message.startswith(f"{path}: is not valid YAML at line 3")
    assert "expected ',' or ']'" in message


def test_encrypted_email_is_accepted_and_the_plan_says_so(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    config = azure(alerts={"emails": [{"secure": "v1:AAAABBBB"}]})
    path = tmp_path / "Pulumi.s.yaml"
    path.write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    raw = read_stack_file(path)
    parsed = parse_config(raw)
    assert parsed.azure and parsed.azure.alerts
    assert parsed.azure.alerts.emails == (SECRET_PLACEHOLDER,)
    assert main(["plan", "--config-file", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Encrypted values (Pulumi secrets, not decrypted offline):" in out
    assert "  gatewatch:azure.alerts.emails[0]\n" in out
    assert "v1:AAAABBBB" not in out


def test_an_encrypted_value_the_plan_must_read_says_so(tmp_path: Path) -> None:
    config = base_config()
    config["gatewatch:azure"]["workspace"]["retentionInDays"] = {"secure": "v1:AAAA"}
    config["gatewatch:azure"]["location"] = {"secure": "v1:BBBB"}
    path = tmp_path / "Pulumi.s.yaml"
    path.write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    found = problems(read_stack_file(path))
    for key in ("gatewatch:azure.workspace.retentionInDays", "gatewatch:azure.location"):
        assert found[key].startswith("is stored encrypted (a Pulumi secret), and the offline "
                                     "plan cannot decrypt a value it must read; store " + key)


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_no_error_or_plan_output_prints_a_webhook_token(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    good = azure(alerts={"emails": ["a@example.com"], "webhooks": [
        {"name": "teams", "uri": f"https://hooks.example.com/workflows/1?{TOKEN}"}]})
    path = tmp_path / "Pulumi.w.yaml"
    path.write_text(yaml.safe_dump({"config": good}), encoding="utf-8")
    for args in (["plan", "--config-file", str(path)],
                 ["plan", "--json", "--config-file", str(path)]):
        code, output = _run(args, capsys)
        assert code == 0 and TOKEN not in output
    assert '"webhookReceivers": "[secret]"' in output  # the JSON plan marks it, never shows it
    assert TOKEN not in json.dumps(json.loads(output))  # nor once its escapes are read back
    bad = azure(alerts={"emails": ["a@example.com"], "webhooks": [
        {"name": "teams", "uri": f"http://hooks.example.com/workflows/1?{TOKEN}"},
        {"name": "teams", "uri": f"ftp {TOKEN}"}]})
    path.write_text(yaml.safe_dump({"config": bad}), encoding="utf-8")
    code, output = _run(["plan", "--config-file", str(path)], capsys)
    assert code == 2
    assert "gatewatch:azure.alerts.webhooks[0].uri: the value (not shown" in output
    assert TOKEN not in output


@pytest.mark.parametrize("stack", ["", "  "])
def test_an_empty_stack_name_is_an_error(stack: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _run(["plan", "--stack", stack], capsys)
    assert code == 2
    assert output.startswith("error: --stack: is empty")
    assert "Traceback" not in output and "Resources:" not in output


def test_any_junk_in_any_key_is_a_config_error_with_a_path_and_a_fix() -> None:
    """Seeded mutation of a full config: every outcome is a parsed model or BadInput whose
    problems name a gatewatch key path and a fix (never another exception)."""
    import random

    rng = random.Random(15)
    junk: list[Any] = [None, 1, 1.5, True, "x", "", [], {}, [1], {"a": 1}, [{"id": 1}],
                       float("inf"), "japaneast", SECRET_PLACEHOLDER, datetime.date(2025, 1, 1)]

    def mutate(node: Any) -> None:
        keys = list(node) if isinstance(node, dict) else range(len(node)) \
            if isinstance(node, list) else []
        for key in keys:
            if rng.random() < 0.25:
                node[key] = rng.choice(junk)
            else:
                mutate(node[key])
        if isinstance(node, dict) and rng.random() < 0.2:
            node[rng.choice(["zz", 1, "location"])] = rng.choice(junk)

    errors = 0
    for _ in range(400):
        config = azure(maintenanceWindow=window(), alerts={
            "emails": ["a@example.com"], "webhooks": [{"name": "n", "uri": "https://x"}],
            "severities": {"tunnel-drop": 1}})
        config["gatewatch:aws"] = {"region": "ap-northeast-1", "logGroup": {"retentionInDays": 30},
                                   "vpnConnections": ["vpn-0123456789abcdef0"]}
        mutate(config)
        try:
            parse_config(config)
        except BadInput as error:
            errors += 1
            for problem in error.problems:
                assert problem.path.startswith("gatewatch:") and problem.message and problem.fix
    assert errors > 300
