"""`gatewatch doctor` and `gatewatch triage` with a login that is missing, partial, refused, or
behind a network that does not reach the login host: one line naming what to fix, never a
traceback or the SDK's own multi-line report. Logins are exit 2; a host that cannot be reached
is exit 1 and named (it is the network, not the login).

Run against the stand-ins (tests/support/live_world.py) with the environment a user would
have; the Azure no-login case runs as a subprocess, because azure-identity's report reaches
stderr only through logging's last resort, which pytest's own log handlers would hide.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time

import pytest

from gatewatch.cli import main
from tests.support.live_world import World

COMMANDS = ["doctor", "triage"]
SP_SECRET = "example-client-secret-value"


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def argv(w: World, command: str) -> list[str]:
    args = [command, "--config-file", str(w.config_file)]
    if command == "triage":
        args += ["--remote-ip", "198.51.100.2", "--since", "2h"]
    return args


def run(w: World, command: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv(w, command))
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


def no_azure_login(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """No az, no managed identity (IMDS is the stand-in answering "Identity not found"), no
    service principal."""
    monkeypatch.delenv("IDENTITY_ENDPOINT")
    monkeypatch.delenv("IDENTITY_HEADER")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", w.azure_url)


def service_principal(w: World, monkeypatch: pytest.MonkeyPatch, login_host: str) -> None:
    """Only a service principal in the environment, its login host at `login_host`. ADFS
    tenant: MSAL asks the authority host itself (no instance discovery through
    login.microsoftonline.com), so every login request goes to `login_host`."""
    no_azure_login(w, monkeypatch)
    monkeypatch.setenv("AZURE_CLIENT_ID", "11111111-0000-0000-0000-000000000009")
    monkeypatch.setenv("AZURE_TENANT_ID", "adfs")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", SP_SECRET)
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", login_host)


@pytest.mark.parametrize("command", COMMANDS)
def test_no_azure_login_is_one_line_without_the_chain_report(
        estate: World, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    w = estate.healthy()
    no_azure_login(w, monkeypatch)
    done = subprocess.run([sys.executable, "-m", "gatewatch", *argv(w, command)],
                          capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert done.returncode == 2, done.stderr
    line = one_line(done.stderr)  # azure-identity logged 13 lines here before
    assert "run `az login`" in line and "AZURE_CLIENT_ID" in line
    assert "(azure-identity: AzureCliCredential: Azure CLI not found on path)" in line
    assert "Attempted credentials" not in done.stderr and done.stdout == ""
    assert ("GET", "/metadata/identity/oauth2/token") in w.azure.requests


@pytest.mark.parametrize("command", COMMANDS)
def test_a_service_principal_whose_login_host_is_unreachable_names_the_host_not_az_login(
        estate: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        command: str) -> None:
    w = estate.healthy()
    port = closed_port()
    service_principal(w, monkeypatch, f"https://127.0.0.1:{port}")
    code, out, err = run(w, command, capsys)
    assert code == 1, err
    line = one_line(err)
    assert f"Azure's login host 127.0.0.1:{port} could not be reached" in line
    assert "az login" not in line and "HTTPS_PROXY" in line
    assert "Connection refused" in line  # the one line of the SDK's text
    assert SP_SECRET not in err + out and out == ""


def partial_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")


def unknown_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_PROFILE", "nope")


AWS_VARIANTS = {
    "key id alone": (partial_aws, ["AWS_SECRET_ACCESS_KEY is not set", "AWS_PROFILE"]),
    "AWS_PROFILE=nope": (unknown_profile, ["AWS profile 'nope' (from AWS_PROFILE) does not "
                                           "exist", "aws configure --profile nope"]),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("variant", sorted(AWS_VARIANTS))
def test_a_partial_or_unknown_aws_login_is_exit_2_naming_the_fix(
        estate: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        command: str, variant: str) -> None:
    w = estate.healthy()
    monkeypatch.setenv("AWS_CONFIG_FILE", str(w.tmp / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(w.tmp / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    setup, says = AWS_VARIANTS[variant]
    setup(monkeypatch)
    code, out, err = run(w, command, capsys)
    assert code == 2, err
    line = one_line(err)
    for text in says:
        assert text in line, line
    assert out == "" and w.ec2.calls == []  # said before any read


@pytest.mark.parametrize("command", COMMANDS)
def test_a_key_aws_refuses_is_exit_2_naming_the_variables(
        estate: World, capsys: pytest.CaptureFixture[str], command: str) -> None:
    w = estate.healthy()
    w.ec2.inject_errors("DescribeVpnConnections", "AuthFailure", count=5,
                        message="AWS was not able to validate the provided access credentials")
    code, _, err = run(w, command, capsys)
    assert code == 2, err
    line = one_line(err)
    assert "AWS does not accept the credentials (AuthFailure)" in line
    assert "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in line
    assert "botocore: An error occurred (AuthFailure)" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unreachable_aws_endpoint_is_named_and_the_rest_is_still_reported(
        estate: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        command: str) -> None:
    # EC2 is one source among several (gatewatch/live/sources.py): doctor marks what needs it
    # UNCHECKED naming the endpoint (exit 1, a line not OK); triage builds the Azure side and
    # notes what is missing (exit 0: the timeline is the answer).
    w = estate.healthy()
    url = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", url)
    started = time.monotonic()
    code, out, err = run(w, command, capsys)
    assert "Traceback" not in err
    (line,) = [x for x in (err + out).splitlines() if f"connection refused to {url}/" in x]
    if command == "doctor":
        assert code == 1, err
        assert line.startswith("UNCHECKED") and "AWS_ENDPOINT_URL_" in line
        assert "OK         azure" in out  # the Azure checks are all there
    else:
        assert code == 0, err
        assert line.startswith("note: EC2 not read") and "only the Azure side is shown" in line
        assert "Tunnel 198.51.100.2" in out
        assert "did you mean None" not in out  # a gateway-level row is no tunnel's record
    assert dt.timedelta(seconds=time.monotonic() - started) < dt.timedelta(seconds=30)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_service_principal_the_login_host_refuses_names_the_three_variables(
        estate: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        command: str) -> None:
    w = estate.healthy()
    service_principal(w, monkeypatch, w.azure_url)  # the stand-in knows no such client
    code, out, err = run(w, command, capsys)
    assert code == 2, err
    line = one_line(err)
    assert "Azure refused the service principal in AZURE_CLIENT_ID/AZURE_TENANT_ID/" \
           "AZURE_CLIENT_SECRET" in line
    assert "(azure-identity: Authentication failed: Client authentication failed" in line
    assert ("POST", "/adfs/oauth2/token") in w.azure.requests
    assert SP_SECRET not in err + out and out == ""
