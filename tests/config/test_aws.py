"""gatewatch:aws: defaults, and each bad key as one line in the kit's format."""

from __future__ import annotations

from typing import Any

import pytest

from gatewatch.config.model import parse_config
from tests.support.stacks import aws, problem_lines


def test_aws_defaults_bgp_logs_and_lifecycle_control_on_parallel_by_throttle() -> None:
    cfg = parse_config(aws()).aws
    assert cfg is not None
    assert (cfg.bgp_logs, cfg.bgp_log_group_name, cfg.tunnel_lifecycle_control,
            cfg.max_parallel) == (True, None, True, None)
    cfg = parse_config(aws(bgpLogs=False, tunnelLifecycleControl=False, maxParallel=1000,
                           )).aws
    assert cfg is not None
    assert (cfg.bgp_logs, cfg.tunnel_lifecycle_control, cfg.max_parallel) == (False, False, 1000)
    cfg = parse_config(aws(bgpLogGroupName="/aws/vendedlogs/gatewatch/vpn-bgp")).aws
    assert cfg is not None and cfg.bgp_log_group_name == "/aws/vendedlogs/gatewatch/vpn-bgp"


@pytest.mark.parametrize(("keys", "line"), [
    ({"bgpLogs": "yes"},
     "gatewatch:aws.bgpLogs: expected true or false, got a string 'yes'; set gatewatch:aws.bgpLogs "
     "to true or false"),
    ({"bgpLogs": False, "bgpLogGroupName": "/aws/vendedlogs/bgp"},
     "gatewatch:aws.bgpLogGroupName: has no effect with bgpLogs: false; drop bgpLogGroupName, "
     "or set bgpLogs: true"),
    ({"bgpLogGroupName": "bad name!"},
     "gatewatch:aws.bgpLogGroupName: 'bad name!' is not a log group name; use letters, digits "
     "and . - _ / #, e.g. /aws/vendedlogs/gatewatch/vpn-bgp"),
    ({"tunnelLifecycleControl": 1},
     "gatewatch:aws.tunnelLifecycleControl: expected true or false, got a number 1; set "
     "gatewatch:aws.tunnelLifecycleControl to true or false"),
    ({"maxParallel": 1001},
     "gatewatch:aws.maxParallel: 1001 is out of range; use a value from 1 to 1000"),
    ({"maxParallel": 0},
     "gatewatch:aws.maxParallel: 0 is out of range; use a value from 1 to 1000"),
])
def test_bad_aws_keys_are_one_line_each(keys: dict[str, Any], line: str) -> None:
    assert problem_lines(aws(**keys)) == [line]


def test_plan_and_triage_exit_2_on_the_text_log_format(tmp_path: Any) -> None:
    """AWS accepts logOutputFormat text, but the alarm's filter, the Insights queries, triage
    and doctor read the JSON fields: refused before anything runs, in one line."""
    from tests.offline.test_plan_cli import run_cli, write_stack

    stack = str(write_stack(tmp_path, aws(logOutputFormat="text")))
    for argv in (("plan", "--config-file", stack),
                 ("triage", "--config-file", stack, "--remote-ip", "198.51.100.2",
                  "--since", "2h")):
        result = run_cli(*argv)
        assert result.returncode == 2, argv
        assert result.stderr.splitlines() == [
            "error: gatewatch:aws.logOutputFormat: text is not read by the kit: the "
            "negotiation-failure alarm's metric filter, the Logs Insights queries, triage and "
            "doctor read the JSON log fields; set logOutputFormat: json (the default)"], argv
        assert result.stdout == ""
