"""The gatewatch policy pack's rules, one per module (`azure/`, `aws/`), each a
`gatewatch.checks.model.Rule` over the graph's `Resource`s. The same rules run inside the pack
(`gatewatch.policy.pack`), over the offline plan's recorded graph and over a `pulumi stack export`
file (`gatewatch.policy.runner`). Messages name the resource, what is missing and the fix.

A rule's id is its policy name: users configure it by that name in `--policy-pack-config`.
"""

from __future__ import annotations

from typing import Final

from gatewatch.checks.model import Rule
from gatewatch.policy.rules.aws import log_group_retention, vpn_bgp_logging, vpn_tunnel_logging
from gatewatch.policy.rules.azure import (
    alert_roles_not_subscription_scope,
    alert_rules_use_managed_identity,
    policy_based_gateway_categories,
    vpn_gateway_diagnostics,
    workspace_retention_30_days,
)

PACK_NAME: Final = "gatewatch"

# In the order the pack lists them (and `gatewatch policy check` reports them).
RULES: Final[tuple[Rule, ...]] = (
    vpn_gateway_diagnostics.RULE,
    policy_based_gateway_categories.RULE,
    vpn_tunnel_logging.RULE,
    vpn_bgp_logging.RULE,
    alert_rules_use_managed_identity.RULE,
    alert_roles_not_subscription_scope.RULE,
    log_group_retention.RULE,
    workspace_retention_30_days.RULE,
)
