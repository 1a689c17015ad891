"""What the stack adds plus the rules its subscription already has, against Azure Monitor's
alert limits ("Azure Monitor service limits",
https://learn.microsoft.com/azure/azure-monitor/fundamentals/service-limits; the figures and
words in gatewatch/azure/limits.py). Plain data in, lines out: `pulumi up` reads the
subscription (gatewatch/live/alert_rules.py) and says these lines (components/existing_rules.py).

- The stack's own rules already in the subscription (a re-run) are not counted twice: a rule
  whose ARM id is one the stack deploys is the stack's (ids are unique and case-insensitive;
  the kit names every rule from gatewatch/azure/names.py in its own resource group). A rule the
  stack deployed before and no longer deploys counts as existing: Pulumi deletes removed
  resources after it creates the new ones.
- Crossed (the total over the maximum): `pulumi up` would stop half-applied, so it fails.
  Near (at least NEAR_FRACTION of the maximum): a warning, the room left named.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gatewatch.azure import limits as L
from gatewatch.checks.alert_limits import limit_line
from gatewatch.live.alert_rules import ACTIVITY, METRIC, SCHEDULED, ExistingRule, SubscriptionRules

NEAR_FRACTION = 0.9  # the kit's choice, not Azure's: warn with a tenth of the room left


@dataclass(frozen=True)
class StackRule:
    """One alert rule the program will register, known before registration."""

    id: str
    type: str  # gatewatch.live.alert_rules.METRIC, ACTIVITY or SCHEDULED
    one_minute: bool = False


@dataclass
class StackRules:
    """The stack's rules in one subscription, and where its log search alerts run."""

    subscription: str
    rules: list[StackRule] = field(default_factory=list)
    workspace_id: str = ""  # the one resource the log search alerts are scoped to
    identity_id: str = ""  # the user-assigned identity they run as


@dataclass
class Total:
    limit: L.Limit
    where: str
    adds: int
    existing: int

    @property
    def count(self) -> int:
        return self.adds + self.existing

    @property
    def crossed(self) -> bool:
        return self.count > self.limit.maximum

    @property
    def near(self) -> bool:
        return not self.crossed and self.count >= NEAR_FRACTION * self.limit.maximum

    @property
    def detail(self) -> str:
        return (f" ({self.adds:,} this stack adds + {self.existing:,} already there, not "
                "this stack's)")


def _lower(values: tuple[str, ...]) -> set[str]:
    return {v.lower() for v in values}


def totals(stack: StackRules, existing: SubscriptionRules) -> list[Total]:
    """Each limit the stack adds to, with what is already there (the stack's own excluded)."""
    own = {r.id.lower() for r in stack.rules}
    others = [r for r in existing.rules if r.id.lower() not in own]

    def adds(type_: str, *, one_minute: bool = False) -> int:
        return sum(1 for r in stack.rules if r.type == type_ and (r.one_minute or not one_minute))

    def there(type_: str, *, one_minute: bool = False, on: str = "", runs_as: str = "") -> int:
        def counted(r: ExistingRule) -> bool:
            return (r.type == type_ and (r.one_minute or not one_minute)
                    and (not on or on.lower() in _lower(r.scopes))
                    and (not runs_as or runs_as.lower() in _lower(r.identities)))
        return sum(1 for r in others if counted(r))

    sub = stack.subscription
    result = [Total(L.METRIC_ALERTS, sub, adds(METRIC), there(METRIC)),
              Total(L.ACTIVITY_LOG_ALERTS, sub, adds(ACTIVITY), there(ACTIVITY)),
              Total(L.LOG_ALERTS, sub, adds(SCHEDULED), there(SCHEDULED)),
              Total(L.LOG_ALERTS_ONE_MINUTE, sub, adds(SCHEDULED, one_minute=True),
                    there(SCHEDULED, one_minute=True))]
    if stack.workspace_id:
        result.append(Total(L.LOG_ALERTS_PER_RESOURCE, stack.workspace_id, adds(SCHEDULED),
                            there(SCHEDULED, on=stack.workspace_id)))
        if stack.identity_id:
            result.append(Total(L.LOG_ALERTS_PER_IDENTITY,
                                f"{stack.identity_id} on {stack.workspace_id}",
                                adds(SCHEDULED),
                                there(SCHEDULED, on=stack.workspace_id,
                                      runs_as=stack.identity_id)))
    # A limit the stack adds nothing to is not this stack's to judge.
    return [t for t in result if t.adds]


def crossed_lines(found: list[Total]) -> list[str]:
    return [limit_line(t.limit, t.count, t.where, t.detail) for t in found if t.crossed]


def near_lines(found: list[Total]) -> list[str]:
    return [f"NEAR LIMIT {t.limit.label}: {t.count:,} of {t.limit.maximum:,} in "
            f"{t.limit.per} {t.where}{t.detail}, {t.limit.maximum - t.count:,} left "
            f"({L.DOCUMENT}: \"{t.limit.quote}\"); if it grows: {t.limit.fix}"
            for t in found if t.near]


def unread_line(existing: SubscriptionRules) -> str | None:
    """One warning for every list that could not be read, or None."""
    if not existing.unread:
        return None
    return (f"could not read the alert rules subscription {existing.subscription} already has: "
            + "; ".join(existing.unread)
            + f"; for those, Azure Monitor's alert limits ({L.DOCUMENT}) were checked offline "
              "only, on what this stack adds (`gatewatch plan`); fix: grant the deploying "
              "identity Reader "
              "(Microsoft.Insights/metricAlerts/read, activityLogAlerts/read, "
              "scheduledQueryRules/read) on the subscription")


__all__ = ["NEAR_FRACTION", "StackRule", "StackRules", "Total", "crossed_lines", "near_lines",
           "totals", "unread_line"]
