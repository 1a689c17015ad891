"""Exemptions: an exempted resource's violation is dropped and the reason said; an exemption
that matches nothing is said too; one without a reason is a config error."""

from __future__ import annotations

import pytest

from gatewatch.errors import BadInput
from gatewatch.policy.runner import resolve_config
from tests.support.policy_stacks import (
    azure_stack,
    check,
    record,
)


def test_an_exempted_gateway_is_skipped_and_the_reason_is_reported() -> None:
    config = {"vpn-gateway-diagnostics": {
        "exemptions": [{"name": "hub-gw", "reason": "decommissioned in March"},
                       {"name": "hub-gw-typo", "reason": "misspelt"}]}}
    outcome = check(record(azure_stack(with_setting=False)), config)
    assert outcome.violations == [] and not outcome.failed
    notes = [n.message for n in outcome.notes]
    assert "'hub-gw' is exempt from vpn-gateway-diagnostics: decommissioned in March" in notes
    assert any("'hub-gw-typo'" in n and "matches no resource" in n for n in notes)


def test_an_exemption_without_a_reason_is_a_config_error() -> None:
    with pytest.raises(BadInput, match=r"vpn-gateway-diagnostics.exemptions\[0\]"):
        resolve_config({"vpn-gateway-diagnostics": {"exemptions": [{"name": "hub-gw"}]}})
