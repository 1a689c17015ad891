"""pydantic's errors in the kit's words: whatever the value, a problem names its key path, what
is wrong and the fix (never another exception)."""

from __future__ import annotations

import datetime
from typing import Any

from gatewatch.config.model import parse_config
from gatewatch.errors import SECRET_PLACEHOLDER, BadInput
from tests.support.stacks import ROUTE_GW, base_config, problems, window, with_azure


def test_wrong_type_is_reported_with_the_expected_type() -> None:
    config = base_config()
    config["gatewatch:azure"]["gateways"] = {"id": ROUTE_GW}
    config["gatewatch:azure"]["workspace"]["retentionInDays"] = "ninety"
    found = problems(config)
    assert "expected a list" in found["gatewatch:azure.gateways"]
    assert "whole number" in found["gatewatch:azure.workspace.retentionInDays"]


def test_unknown_keys_are_errors_with_a_suggestion() -> None:
    config = base_config()
    config["gatewatch:azure"]["workspace"]["retentionDays"] = 90
    config["gatewatch:azure"]["gateways"][0]["vpntype"] = "RouteBased"
    config["gatewatch:azur"] = {}
    found = problems(config)
    assert "did you mean 'retentionInDays'" in found["gatewatch:azure.workspace.retentionDays"]
    assert "did you mean 'vpnType'" in found["gatewatch:azure.gateways[0].vpntype"]
    assert "did you mean 'azure'" in found["gatewatch:azur"]


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
        config = with_azure(maintenanceWindow=window(timeZone="UTC"), alerts={
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
