"""`gatewatch policy check --config` accepts every policy config README documents, read straight
out of README's "Policy pack" section (so the two cannot drift), and exactly the settings the
pack's policies declare; anything else is exit 2 with one line naming the key and the fix."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from gatewatch.cli import run
from gatewatch.paths import PROJECT_ROOT as ROOT
from gatewatch.policy import remediation
from gatewatch.policy.pack import build_policies
from gatewatch.policy.rules import RULES
from gatewatch.policy.runner import REMEDIATION_SETTINGS, RULE_SETTINGS

GATEWAY_ID = ("/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/"
              "providers/Microsoft.Network/virtualNetworkGateways/legacy-gw")
# README's placeholders, as a user would fill them in.
PLACEHOLDERS = {"<ARM id>, ...": json.dumps(GATEWAY_ID), "<ARM id>": json.dumps(GATEWAY_ID)}
POLICY_NAMES = {rule.id for rule in RULES} | {remediation.POLICY_NAME, "all"}


def _policy_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Policy pack", 1)[1]
    return re.split(r"\n#{2,3} ", section, maxsplit=1)[0]


def readme_configs() -> list[tuple[str, dict[str, Any]]]:
    """Each JSON object README's policy section shows in `code`, as a --policy-pack-config
    file: a policy's own settings (in a bullet naming the policy) go under that policy."""
    configs = []
    for bullet in re.split(r"\n(?=- )", _policy_section()):
        for span in re.findall(r"`(\{[^`]*\})`", bullet):
            text = span
            for placeholder, value in PLACEHOLDERS.items():
                text = text.replace(placeholder, value)
            doc = json.loads(text)
            if not set(doc) <= POLICY_NAMES:
                owner = re.match(r"- `([a-z0-9-]+)`", bullet)
                assert owner, f"README shows {span} outside a policy's bullet"
                doc = {owner.group(1): doc}
            configs.append((" ".join(span.split()), doc))
    return configs


CONFIGS = readme_configs()


def test_readme_documents_the_remediation_config_and_a_tuning_example() -> None:
    """The extraction finds what it must (a README edit cannot make the next test vacuous)."""
    named = {policy for _, doc in CONFIGS for policy in doc}
    assert remediation.POLICY_NAME in named and "vpn-gateway-diagnostics" in named
    assert any("exemptions" in entry for _, doc in CONFIGS for entry in doc.values()
               if isinstance(entry, dict))


def _export(tmp_path: Path) -> Path:
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"version": 3, "deployment": {"resources": [
        {"urn": "urn:pulumi:prod::net::pulumi:pulumi:Stack::net-prod", "custom": False,
         "type": "pulumi:pulumi:Stack"}]}}), "utf-8")
    return path


def check_with(tmp_path: Path, capsys: pytest.CaptureFixture[str], config: Any
               ) -> tuple[int, str, str]:
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps(config), "utf-8")
    code = run(["policy", "check", str(_export(tmp_path)), "--config", str(cfg), "--json"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("config", [c for _, c in CONFIGS], ids=[s for s, _ in CONFIGS])
def test_every_config_readme_shows_is_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: dict[str, Any],
) -> None:
    code, out, err = check_with(tmp_path, capsys, config)
    assert (code, err) == (0, ""), err
    doc = json.loads(out)
    if "aws-vpn-tunnel-logging" in config:
        assert doc["enforcementLevels"]["aws-vpn-tunnel-logging"] == config[
            "aws-vpn-tunnel-logging"]
    if remediation.POLICY_NAME in config:
        assert [n["policy"] for n in doc["notes"]] == [remediation.POLICY_NAME]


@pytest.mark.parametrize("config, line", [
    ({"vpn-gateway-diagnostics": {"exemption": []}},
     "vpn-gateway-diagnostics.exemption: is not a setting of vpn-gateway-diagnostics; did you "
     "mean 'exemptions'?"),
    ({remediation.POLICY_NAME: {"policyBasedGateway": [GATEWAY_ID]}},
     f"{remediation.POLICY_NAME}.policyBasedGateway: is not a setting of "
     f"{remediation.POLICY_NAME}; did you mean 'policyBasedGateways'?"),
    ({remediation.POLICY_NAME: {"policyBasedGateways": GATEWAY_ID}},
     f"{remediation.POLICY_NAME}.policyBasedGateways: expected a list;"),
    ({remediation.POLICY_NAME: {"policyBasedGateways": ["legacy-gw"]}},
     f"{remediation.POLICY_NAME}.policyBasedGateways[0]: 'legacy-gw' is not the ARM id of a "
     "virtual network gateway;"),
    ({remediation.POLICY_NAME: "loud"},
     f"{remediation.POLICY_NAME}: 'loud' is not an enforcement level;"),
    ({"policy-based-gateway-categories-remediaton": "advisory"},
     "policy-based-gateway-categories-remediaton: no such policy in the gatewatch pack; did you "
     f"mean '{remediation.POLICY_NAME}'?"),
    ({"all": {"enforcementLevel": "advisory", "exemptions": []}},
     "all.exemptions: is not a setting of all; use enforcementLevel"),
])
def test_a_config_readme_does_not_document_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: dict[str, Any], line: str,
) -> None:
    code, out, err = check_with(tmp_path, capsys, config)
    assert code == 2 and out == "" and "Traceback" not in err
    [got] = err.strip().splitlines()
    assert got.startswith(f"error: {tmp_path / 'cfg.json'}: {line}"), got


def test_policy_check_takes_exactly_the_settings_the_pack_declares() -> None:
    declared = {p.name: set(p.config_schema.properties) for p in build_policies()
                if p.config_schema is not None}
    assert declared == {**{rule.id: set(RULE_SETTINGS) for rule in RULES},
                        remediation.POLICY_NAME: set(REMEDIATION_SETTINGS)}
