"""Azure Monitor's limits that a gatewatch stack can cross, as data with one home: each with
its figure, what it is counted per, the document's words, and the fix the plan prints.

Source: "Azure Monitor service limits",
https://learn.microsoft.com/azure/azure-monitor/fundamentals/service-limits (the Alerts and
Action groups tables). The quotes are the English page's words where the English text could be
read; three facts (Service Health and Resource Health counting as activity log alerts, 500 log
alert rules per managed identity on a workspace, 100 mails an hour per address and region) were
only found in the docs.azure.cn edition of the same page (translated), marked `confirmed` below.

The plan (gatewatch/checks/alert_limits.py, the `alertLimits` section) counts what the stack
adds; rules the subscription already has count too, and no offline check can see them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

SOURCE: Final = "https://learn.microsoft.com/azure/azure-monitor/fundamentals/service-limits"
DOCUMENT: Final = f'"Azure Monitor service limits" ({SOURCE})'

ENGLISH: Final = "English page"
CHINA_EDITION: Final = ("only in the docs.azure.cn edition of the page "
                        "(https://docs.azure.cn/azure-monitor/service-limits, translated); "
                        "not in the English text read")

# What a limit is counted per.
PER_SUBSCRIPTION: Final = "subscription"
PER_RESOURCE: Final = "resource"
PER_IDENTITY: Final = "managed identity on a workspace"


@dataclass(frozen=True)
class Limit:
    key: str  # the --json key of the count
    label: str  # what is counted, as the text says it
    per: str  # PER_SUBSCRIPTION, PER_RESOURCE or PER_IDENTITY
    maximum: int
    increasable: bool
    quote: str  # the document's words
    confirmed: str  # where the words were read (ENGLISH or CHINA_EDITION)
    fix: str


METRIC_ALERTS: Final = Limit(
    key="metricAlerts", label="metric alerts", per=PER_SUBSCRIPTION, maximum=5000,
    increasable=True,
    quote="Metric alerts: 5,000 active alert rules per subscription in Azure public, Microsoft "
          "Azure operated by 21Vianet, and Azure Government clouds. If you're hitting this "
          "limit, explore if you can use the same type multi-resource alerts. (Maximum: call "
          "support.)",
    confirmed=ENGLISH,
    fix="disable metric rule classes in gatewatch:azure.alerts.disabled (each one removes one "
        "rule per gateway), or split the gateways across stacks deploying into other "
        "subscriptions; support can raise the limit",
)
ACTIVITY_LOG_ALERTS: Final = Limit(
    key="activityLogAlerts", label="activity log alerts", per=PER_SUBSCRIPTION, maximum=100,
    increasable=False,
    quote="Activity log alerts: 100 active alert rules per subscription (can't be increased). "
          "This includes Service Health and Resource Health alerts. As this limit can't be "
          "increased, consider sending your Activity Logs to a Log Analytics workspace and "
          "creating log search alerts instead.",
    confirmed=f"{ENGLISH}, except 'This includes Service Health and Resource Health alerts': "
              f"{CHINA_EDITION}",
    fix="it cannot be raised: disable activity rules in gatewatch:azure.alerts.disabled, "
        "remove other activity log alerts from the subscription, or deploy into another "
        "subscription",
)
LOG_ALERTS: Final = Limit(
    key="logSearchAlerts", label="log search alerts", per=PER_SUBSCRIPTION, maximum=5000,
    increasable=True,
    quote="Log alerts: 5,000 active alert rules per subscription. (Maximum: call support.)",
    confirmed=ENGLISH,
    fix="disable log search alerts in gatewatch:azure.alerts.disabled or split the stack "
        "across subscriptions; support can raise the limit",
)
LOG_ALERTS_ONE_MINUTE: Final = Limit(
    key="logSearchAlertsOneMinute", label="log search alerts at a 1-minute frequency",
    per=PER_SUBSCRIPTION, maximum=100, increasable=True,
    quote="Log alerts: ... Out of which, 100 active alert rules with a 1-minute frequency.",
    confirmed=ENGLISH,
    fix="disable the 1-minute rules in gatewatch:azure.alerts.disabled, or evaluate them less "
        "often (evaluationFrequency in their alert file)",
)
LOG_ALERTS_PER_RESOURCE: Final = Limit(
    key="logSearchAlertsPerResource", label="log search alerts on one resource",
    per=PER_RESOURCE, maximum=1000, increasable=True,
    quote="Log alerts: ... 1,000 active alert rules per resource.",
    confirmed=ENGLISH,
    fix="spread the rules over more workspaces (one stack per workspace) or disable rules in "
        "gatewatch:azure.alerts.disabled",
)
LOG_ALERTS_PER_IDENTITY: Final = Limit(
    key="logSearchAlertsPerIdentity", label="log search alerts per managed identity on a "
    "workspace", per=PER_IDENTITY, maximum=500, increasable=True,
    quote="Log alerts: ... 500 active alert rules per managed identity on a Log Analytics or "
          "ADX workspace.",
    confirmed=CHINA_EDITION,
    fix="split the stack (each stack's rules run as its own user-assigned identity) or disable "
        "rules in gatewatch:azure.alerts.disabled",
)

LIMITS: Final[tuple[Limit, ...]] = (METRIC_ALERTS, ACTIVITY_LOG_ALERTS, LOG_ALERTS,
                                    LOG_ALERTS_ONE_MINUTE, LOG_ALERTS_PER_RESOURCE,
                                    LOG_ALERTS_PER_IDENTITY)

# Action groups: mail to one address.
EMAILS_PER_HOUR: Final = 100
EMAILS_PER_HOUR_QUOTE: Final = ("Email: 1,000 email actions in an action group. No more than "
                                "100 emails in an hour to an email address per region.")
EMAILS_PER_HOUR_CONFIRMED: Final = CHINA_EDITION
EMAILS_PER_HOUR_FIX: Final = ("mails beyond it are not sent: disable noisy rules in "
                              "gatewatch:azure.alerts.disabled, give log search alerts a "
                              "muteActionsDuration, or send to a webhook (gatewatch:azure."
                              "alerts.webhooks) instead of mail")

# Rule resource types, as the azure-native provider names them.
METRIC_ALERT_TYPES: Final[tuple[str, ...]] = ("azure-native:monitor:MetricAlert",
                                              "azure-native:insights:MetricAlert")
ACTIVITY_LOG_ALERT_TYPES: Final[tuple[str, ...]] = ("azure-native:monitor:ActivityLogAlert",
                                                    "azure-native:insights:ActivityLogAlert")
ACTION_GROUP_TYPES: Final[tuple[str, ...]] = ("azure-native:monitor:ActionGroup",
                                              "azure-native:insights:ActionGroup")
