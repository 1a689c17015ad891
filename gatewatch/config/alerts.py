"""gatewatch:azure.alerts: who the alerts tell (mail, webhooks), what the alert identity may
read, and which alerts of the catalog are off or re-severitied (names checked against the
catalog: alerts/*.yaml, alerts/metric/*.yaml, alerts/activity/*.yaml)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

from pydantic import Field, StrictInt, StrictStr, field_validator

from gatewatch.config.base import ConfigModel, Email, emails_once
from gatewatch.config.fields import Choice, Text, Whole, duplicates, fail
from gatewatch.errors import did_you_mean

ReceiverName = Annotated[StrictStr, Text(r"[-\w.]{1,64}", what="a receiver name",
                                         fix="use up to 64 letters, digits, '-', '_' or '.'")]
# Alert payloads must not travel in clear; the URL carries the receiver's token: never echoed.
WebhookUri = Annotated[StrictStr, Text(
    r"https://[^\s/]+(/\S*)?", what="an https URL", secret=True, secret_ok=True,
    fix="use an https:// URL; alert payloads must not travel in clear")]


def _alert_names() -> list[str]:
    """Every alert config may disable: log, metric and activity log alerts share one name
    space (alerts/*.yaml, alerts/metric/*.yaml, alerts/activity/*.yaml)."""
    from gatewatch.catalog.load import alert_names

    return sorted(alert_names()[0])


def _severity_alert_names() -> list[str]:
    """The alerts that take a severity: log and metric alerts (activity log alerts have none
    in Azure's API, 2020-10-01)."""
    from gatewatch.catalog.load import alert_names

    return sorted(alert_names()[1])


def _alert_name(value: str) -> None:
    known = _alert_names()
    if value not in known:
        raise fail(f"'{value}' is not an alert of the catalog",
                   f"{did_you_mean(value, known)}use one of {', '.join(known)}")


def _severity_alert_name(value: str) -> None:
    _alert_name(value)
    if value not in _severity_alert_names():
        raise fail(f"'{value}' is an activity log alert, and activity log alerts have no "
                   "severity in Azure's API",
                   "remove it from gatewatch:azure.alerts.severities; to stop it, list it "
                   "under gatewatch:azure.alerts.disabled")


AlertName = Annotated[StrictStr, Text(None, what="an alert name", fix="", check=_alert_name,
                                      enum=_alert_names)]
SeverityAlertName = Annotated[StrictStr, Text(None, what="an alert name", fix="",
                                              check=_severity_alert_name,
                                              enum=_severity_alert_names)]
ROLE_SCOPES = ("workspace", "resourceGroup")
RoleScope = Annotated[StrictStr, Choice(ROLE_SCOPES)]
Severity = Annotated[StrictInt, Whole(0, 4)]


class WebhookConfig(ConfigModel):

    example: ClassVar[str] = "{name: teams, uri: https://...}"
    name: ReceiverName = Field(description="Receiver name in the action group.")
    uri: WebhookUri = Field(description="https URL the alert is posted to (a secret: it "
                                        "carries a token; prefer `pulumi config set --secret`).")


class AlertsConfig(ConfigModel):
    """Who is told, and what the alert identity may read (the workspace, or its group)."""

    example: ClassVar[str] = "{emails: [netops@example.com]}"

    emails: tuple[Email, ...] = Field(
        min_length=1, description="Addresses the alerts mail (case-insensitive, each once).")
    webhooks: tuple[WebhookConfig, ...] = Field(default=(), description="Webhook receivers.")
    role_scope: RoleScope = Field(
        default="workspace", description="Where the alert identity gets Reader: the workspace "
                                         "(default) or its resource group.")
    disabled: frozenset[AlertName] = Field(
        default=frozenset(), description="Alerts not to deploy (log, metric and activity log "
                                         "alert names: alerts/*.yaml, alerts/metric/*.yaml, "
                                         "alerts/activity/*.yaml).")
    severities: Mapping[SeverityAlertName, Severity] = Field(
        default_factory=dict, description="Severity (0-4) per log or metric alert, overriding "
                                          "the catalog (activity log alerts have none).")

    _emails_once = field_validator("emails")(emails_once)

    @field_validator("webhooks")
    @classmethod
    def _receivers_once(cls, hooks: tuple[WebhookConfig, ...]) -> tuple[WebhookConfig, ...]:
        duplicates(hooks, lambda w: w.name, ("name",), "receiver name").check()
        return hooks

    @field_validator("disabled", mode="before")
    @classmethod
    def _disabled_once(cls, value: Any) -> Any:
        if isinstance(value, list):
            duplicates(value, lambda v: v if isinstance(v, str) else None, (), "alert").check()
        return value

