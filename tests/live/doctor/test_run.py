"""`gatewatch doctor` end to end: the real SDK clients over HTTP(S) against the stand-ins;
logins, bad input and refused reads are one line and an exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatewatch.cli import main
from tests.support.doctor import checks_of, line, run_doctor
from tests.support.live_world import World


def test_healthy_estate_is_all_ok_and_ran_the_kits_saved_query(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    w = estate.healthy()
    code = main(["doctor", "--config-file", str(w.config_file)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "all OK" in text and "STALE" not in text.split("STATUS")[1].replace("STALE", "", 0)
    # 1 setting + 5 categories + 4 rules + action group + 6 metric alerts (the catalog's
    # enabled ones) + 2 activity log alerts + 2 health alerts; log group + 2x2 tunnel lines
    # + 2 lifecycle-control lines + 3 alarms + the AWS Health rule
    assert text.count("\nOK ") == 1 + 5 + 4 + 1 + 6 + 2 + 2 + 1 + 4 + 2 + 3 + 1
    # the query that ran is queries/diagnostics-freshness.yaml with its two time bounds bound
    (query,) = w.azure.queries
    assert "summarize LastRecord = max(TimeGenerated), Records = count() by _ResourceId" in query
    assert "let StartTime = datetime(" in query and "ago(30d)" not in query
    assert w.azure.errors == []
    # each SDK client is built once and keeps its connection: the token endpoint, ARM's
    # resources, monitor and authorization clients, Log Analytics (not one per read)
    assert len(w.azure.requests) > 20 and w.azure.connections <= 5, w.azure.connections


def test_missing_azure_login_is_exit_2_naming_az_login(
        estate: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IDENTITY_ENDPOINT")
    monkeypatch.delenv("IDENTITY_HEADER")
    monkeypatch.setenv("PATH", "/nonexistent")  # no `az`, `azd` or pwsh to ask
    # IMDS is the stand-in, answering as on a host with no managed identity assigned (never
    # the real 169.254.169.254; a dead address here makes azure-identity retry for ~5 s).
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", estate.azure_url)
    code, _, err = run_doctor(estate, capsys)
    assert code == 2
    assert "az login" in err and "Traceback" not in err and estate.azure.token not in err
    assert ("GET", "/metadata/identity/oauth2/token") in estate.azure.requests


def test_missing_aws_login_is_exit_2_naming_aws_configure(
        estate: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    estate.healthy()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(estate.tmp / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(estate.tmp / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code, _, err = run_doctor(estate, capsys)
    assert code == 2 and "aws configure" in err and "AWS_PROFILE" in err


def test_bad_config_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["doctor", "--config-file", str(tmp_path / "Pulumi.nope.yaml")])
    assert code == 2
    assert "file not found" in capsys.readouterr().err


def test_a_refused_read_is_one_unchecked_line_naming_the_role(
        estate: World, capsys: pytest.CaptureFixture[str]) -> None:
    """A read the identity may not make (403) leaves that one line UNCHECKED, naming the role
    to grant; ARM still answers, so every other line is checked (exit 1, as for any finding)."""
    w = estate.healthy()
    w.azure.forbidden.add(w.rule_id("tunnel-drop").lower())
    code, report, err = run_doctor(w, capsys)
    assert code == 1 and err == ""
    refused = line(report, "alert rule", "tunnel-drop")
    assert refused["status"] == "UNCHECKED"
    assert refused["detail"] == "not checked: ARM refused the read (403 AuthorizationFailed)"
    assert "Reader" in refused["fix"] and w.azure.token not in json.dumps(report)
    others = [c for c in checks_of(report) if c is not refused]
    assert len(others) == 31 and {c["status"] for c in others} == {"OK"}
