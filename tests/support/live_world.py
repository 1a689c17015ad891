"""One small estate, served by the stand-ins, for the doctor and triage end-to-end tests.

`World` starts the Azure stand-in (HTTPS), moto's server (CloudWatch Logs, CloudWatch), the
EC2, AWS Health and CloudTrail stand-ins, points the product's real clients at them through the
documented environment variables, and writes a stack file shaped like Pulumi.<stack>.yaml.
`healthy()` deploys what the kit would; tests then break one thing and run the CLI.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest

from gatewatch.aws import names as aws_names
from gatewatch.aws.health import health_event_pattern
from gatewatch.azure import facts as azure_facts
from gatewatch.azure import names as azure_names
from gatewatch.catalog.load import load
from gatewatch.catalog.model import ActivityLogAlertRule, LogSearchAlertRule, MetricAlertRule
from gatewatch.catalog.overrides import deployable
from tests.support.standins.azure import AzureStandIn
from tests.support.standins.cloudtrail import CloudTrailStandIn
from tests.support.standins.ec2 import Ec2StandIn
from tests.support.standins.health import HealthStandIn
from tests.support.standins.tls import make_cert

SUB = "11111111-2222-3333-4444-555555555555"
RG = "rg-gatewatch-live"
STACK = "live"
GW_ID = (f"/subscriptions/{SUB}/resourceGroups/rg-hub-network/providers/"
         "Microsoft.Network/virtualNetworkGateways/vpngw-hub-01")
GW_NAME = "vpngw-hub-01"
GW_RESOURCE = "VPNGW-HUB-01"  # AzureDiagnostics.Resource: the gateway name, upper case
WS_ID = (f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/"
         "Microsoft.OperationalInsights/workspaces/log-gatewatch-live")
CUSTOMER_ID = "0b7c4a3e-2f6d-4c1b-9a8e-5d6f7a8b9c0d"
IDENTITY_ID = (f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/"
               "Microsoft.ManagedIdentity/userAssignedIdentities/id-vpn-alerts")
ACTION_GROUP = azure_names.action_group_name(azure_names.ALERTS_COMPONENT)
PRINCIPAL_ID = "9f8e7d6c-5b4a-4321-8fed-cba987654321"
VPN = "vpn-0a1b2c3d4e5f60718"
REGION = "ap-northeast-1"
ACCOUNT = "123456789012"  # moto's default account

STACK_YAML = f"""\
config:
  gatewatch:azure:
    location: japaneast
    resourceGroupName: {RG}
    workspace:
      name: log-gatewatch-live
    gateways:
      - id: {GW_ID}
        vpnType: RouteBased
        maintenanceWindow: false
    alerts:
      emails:
        - netops@example.com
  gatewatch:aws:
    region: {REGION}
    vpnConnections:
      - {VPN}
"""

AZURE_ENV_TO_CLEAR = ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET",
                      "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_USERNAME", "AZURE_PASSWORD",
                      "AZURE_FEDERATED_TOKEN_FILE", "MSI_ENDPOINT", "MSI_SECRET",
                      "IDENTITY_SERVER_THUMBPRINT", "AZURE_SUBSCRIPTION_ID",
                      "AWS_PROFILE", "AWS_ENDPOINT_URL")


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    # Port 0: the OS picks a free port as the server binds (no pick-then-bind race under xdist).
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    finally:
        server.stop()


# --- botocore's parsed service models, once per test process ------------------------------
# Every CLI run builds its own boto3.Session (as a real `gatewatch doctor` process does once),
# and a new session re-parses botocore's JSON models: ~0.3 s per run for EC2, Logs,
# CloudWatch, EventBridge and Health. The loaders the sessions create here share one cache of
# parsed files (per AWS_DATA_PATH), so only the first run of a process parses them. Nothing
# else is shared: each session still resolves its own credentials, endpoints and clients.
_MODEL_CACHES: dict[str | None, dict[Any, Any]] = {}


def _sharing_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
    loader = botocore.loaders.create_loader(search_path_string)
    loader._cache = _MODEL_CACHES.setdefault(search_path_string, {})
    return loader


# The kit's catalogs are read-only files of the repository: parse them once per process.
@functools.cache
def _log_rule_names() -> tuple[str, ...]:
    return tuple(r.name for r in deployable(load(LogSearchAlertRule), set()))


@functools.cache
def _metric_rules() -> tuple[MetricAlertRule, ...]:
    return tuple(load(MetricAlertRule))


@functools.cache
def _activity_rules() -> tuple[ActivityLogAlertRule, ...]:
    return tuple(load(ActivityLogAlertRule))


def ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def put_kit_alarms(cw: Any, vpn: str) -> None:
    """The TunnelState alarms of a connection and the stack's negotiation alarm."""
    for name in [*(aws_names.tunnel_alarm_name(vpn, t) for t in (1, 2)),
                 aws_names.negotiation_alarm_name(STACK)]:
        cw.put_metric_alarm(AlarmName=name, MetricName="TunnelState", Namespace="AWS/VPN",
                            Statistic="Maximum", Period=300, EvaluationPeriods=2,
                            Threshold=1, ComparisonOperator="LessThanThreshold")


def put_maintenance_rule(sns: Any, events: Any) -> None:
    """The alarm topic and the AWS Health rule that targets it."""
    topic = sns.create_topic(Name=aws_names.alarm_topic_name(STACK))
    rule = aws_names.maintenance_rule_name(STACK)
    events.put_rule(Name=rule, EventPattern=health_event_pattern(), State="ENABLED")
    events.put_targets(Rule=rule, Targets=[{"Id": "alarms", "Arn": topic["TopicArn"]}])


def put_tunnel_events(logs: Any, group: str, vpn: str, ip: str,
                      events: list[tuple[dt.datetime, dict[str, Any]]],
                      stream: str | None = None) -> None:
    """Tunnel log events in the stream AWS names for the tunnel (or `stream`), as the service
    writes them, through a logs client."""
    stream = stream or aws_names.tunnel_stream_prefix(vpn, ip)
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[
        {"timestamp": ms(t), "message": json.dumps(body)} for t, body in sorted(
            events, key=lambda e: e[0])])


@dataclass
class World:
    tmp: Path
    moto_url: str
    azure: AzureStandIn
    ec2: Ec2StandIn
    health: HealthStandIn
    now: dt.datetime
    azure_url: str = ""
    cloudtrail: CloudTrailStandIn = field(default_factory=CloudTrailStandIn)
    rows: list[dict[str, Any]] = field(default_factory=list)
    config_file: Path = field(init=False)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.config_file = self.tmp / f"Pulumi.{STACK}.yaml"
        self.config_file.write_text(STACK_YAML, encoding="utf-8")

    # --- AWS through boto3 against moto ---------------------------------------------------

    def boto(self, service: str) -> Any:
        """This world's client for `service` on moto (one per service and test)."""
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service, region_name=REGION, endpoint_url=self.moto_url,
                aws_access_key_id="testing", aws_secret_access_key="testing")
        return self._clients[service]

    @property
    def log_group(self) -> str:
        return f"/aws/vendedlogs/gatewatch/{STACK}"

    @property
    def log_group_arn(self) -> str:
        return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{self.log_group}"

    def tunnel_ips(self) -> list[str]:
        return self.ec2.tunnel_ips(VPN)

    def put_tunnel_events(self, ip: str, events: list[tuple[dt.datetime, dict[str, Any]]],
                          stream: str | None = None) -> None:
        put_tunnel_events(self.boto("logs"), self.log_group, VPN, ip, events, stream)

    # --- Azure ----------------------------------------------------------------------------

    def add_rows(self, *rows: dict[str, Any]) -> None:
        self.rows.extend(rows)
        self.azure.add_workspace(CUSTOMER_ID, {"AzureDiagnostics": self.rows})

    def diag_row(self, category: str, at: dt.datetime, **extra: Any) -> dict[str, Any]:
        return {"TimeGenerated": at, "Category": category, "Resource": GW_RESOURCE,
                "ResourceGroup": "RG-HUB-NETWORK", "_ResourceId": GW_ID.lower(),
                "ResourceType": "VIRTUALNETWORKGATEWAYS", **extra}

    def rule_id(self, rule: str) -> str:
        return (f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Insights/"
                f"scheduledQueryRules/{azure_names.log_search_alert_name(rule)}")

    def rules(self) -> list[str]:
        return list(_log_rule_names())

    def healthy(self) -> World:
        a = self.azure
        a.put(WS_ID, {"name": "log-gatewatch-live", "location": "japaneast",
                      "type": "Microsoft.OperationalInsights/workspaces",
                      "properties": {"customerId": CUSTOMER_ID, "provisioningState": "Succeeded"}})
        a.put(f"{GW_ID}/providers/Microsoft.Insights/diagnosticSettings/gatewatch", {
            "name": "gatewatch", "type": "Microsoft.Insights/diagnosticSettings",
            "properties": {"workspaceId": WS_ID, "logAnalyticsDestinationType": None,
                           "logs": [{"category": c, "enabled": True}
                                    for c in azure_facts.GATEWAY_LOG_CATEGORIES],
                           "metrics": [{"category": "AllMetrics", "enabled": True}]}})
        for rule in self.rules():
            a.put(self.rule_id(rule), {
                "name": azure_names.log_search_alert_name(rule), "location": "japaneast",
                "kind": "LogAlert",
                "type": "Microsoft.Insights/scheduledQueryRules",
                "identity": {"type": "UserAssigned", "userAssignedIdentities": {
                    IDENTITY_ID: {"principalId": PRINCIPAL_ID,
                                  "clientId": "11111111-0000-0000-0000-000000000001"}}},
                "properties": {"enabled": True, "severity": 2, "scopes": [WS_ID],
                               "evaluationFrequency": "PT5M", "windowSize": "PT1H"}})
        a.put(f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Insights/"
              f"actionGroups/{ACTION_GROUP}", {
                  "name": ACTION_GROUP, "location": "Global",
                  "type": "Microsoft.Insights/ActionGroups",
                  "properties": {"groupShortName": "gatewatch", "enabled": True,
                                 "emailReceivers": [{"name": "email-0",
                                                     "emailAddress": "netops@example.com",
                                                     "useCommonAlertSchema": True}]}})
        a.role_assignments.append({
            "id": f"{WS_ID}/providers/Microsoft.Authorization/roleAssignments/r1",
            "name": "r1", "type": "Microsoft.Authorization/roleAssignments",
            "properties": {"roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft."
                           f"Authorization/roleDefinitions/{azure_facts.READER_ROLE_DEFINITION_GUID}",
                           "principalId": PRINCIPAL_ID, "principalType": "ServicePrincipal",
                           "scope": WS_ID}})
        recent = self.now - dt.timedelta(minutes=20)
        self.add_rows(*(self.diag_row(c, recent) for c in azure_facts.GATEWAY_LOG_CATEGORIES))

        logs = self.boto("logs")
        logs.create_log_group(logGroupName=self.log_group)
        # What the rollout leaves on every tunnel: tunnel and BGP logs, lifecycle control on.
        options = {"LogEnabled": True, "LogGroupArn": self.log_group_arn,
                   "LogOutputFormat": "json", "BgpLogEnabled": True,
                   "BgpLogGroupArn": self.log_group_arn, "BgpLogOutputFormat": "json"}
        self.ec2.add_connection(vpn_connection_id=VPN, tunnel_log_options=[options, options])
        for ip in self.tunnel_ips():
            self.ec2.set_lifecycle_control(VPN, ip, True)
        for ip in self.tunnel_ips():
            self.put_tunnel_events(ip, [(self.now - dt.timedelta(minutes=4), {
                "event_timestamp": int(self.now.timestamp()) - 240,
                "details": "AWS tunnel is sending DPD request", "dpd_enabled": True,
                "nat_t_detected": False, "ike_phase1_state": "established",
                "ike_phase2_state": "established"})])
        self.healthy_gateway_alerts()
        self.healthy_maintenance_rule()
        put_kit_alarms(self.boto("cloudwatch"), VPN)
        return self


    # --- what components/gateway_alerts.py and the AWS Health rule leave ------------------

    def metric_alert_id(self, rule: str) -> str:
        return (f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Insights/"
                f"metricAlerts/{azure_names.metric_alert_name(rule, GW_NAME)}")

    def activity_alert_id(self, rule: str) -> str:
        return (f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Insights/"
                f"activityLogAlerts/{azure_names.activity_alert_name(rule)}")

    def metric_rules(self) -> list[str]:
        return [r.name for r in _metric_rules() if r.enabled]

    def activity_rules(self) -> list[str]:
        return [r.name for r in _activity_rules() if r.enabled]

    def healthy_gateway_alerts(self) -> None:
        a = self.azure
        a.put(GW_ID, {"name": GW_NAME, "type": "Microsoft.Network/virtualNetworkGateways",
                      "location": "japaneast", "tags": {"environment": "live"},
                      "properties": {"vpnType": "RouteBased", "gatewayType": "Vpn"}})
        group_id = (f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Insights/"
                    f"actionGroups/{ACTION_GROUP}")
        for rule in _metric_rules():
            if not rule.enabled:
                continue
            a.put(self.metric_alert_id(rule.name), {
                "name": azure_names.metric_alert_name(rule.name, GW_NAME), "location": "global",
                "type": "Microsoft.Insights/metricAlerts",
                "properties": {
                    "description": rule.display_name, "severity": rule.severity,
                    "enabled": True, "scopes": [GW_ID],
                    "evaluationFrequency": rule.evaluation_frequency,
                    "windowSize": rule.window_size, "autoMitigate": rule.auto_mitigate,
                    "criteria": {"odata.type": "Microsoft.Azure.Monitor."
                                               "SingleResourceMultipleMetricCriteria",
                                 "allOf": []},
                    "actions": [{"actionGroupId": group_id}]}})
        for activity in _activity_rules():
            if not activity.enabled:
                continue
            a.put(self.activity_alert_id(activity.name), {
                "name": azure_names.activity_alert_name(activity.name), "location": "Global",
                "type": "Microsoft.Insights/ActivityLogAlerts",
                "properties": {
                    "enabled": True, "scopes": [f"/subscriptions/{SUB}"],
                    "condition": {"allOf": [
                        {"field": "category", "equals": activity.category},
                        {"field": "operationName", "equals": activity.operation_name},
                        {"field": "status", "equals": activity.status},
                        {"anyOf": [{"field": "resourceId", "equals": GW_ID}]}]},
                    "actions": {"actionGroups": [{"actionGroupId": group_id}]}}})

        # components/gateway_maintenance.py: Service Health and Resource Health alerts
        for name, condition in (
                (azure_names.SERVICE_HEALTH_ALERT_NAME, [
                    {"field": "category", "equals": "ServiceHealth"},
                    {"field": "properties.incidentType", "equals": "Maintenance"}]),
                (azure_names.RESOURCE_HEALTH_ALERT_NAME, [
                    {"field": "category", "equals": "ResourceHealth"},
                    {"anyOf": [{"field": "resourceId", "equals": GW_ID}]},
                    {"anyOf": [{"field": "status", "equals": "Active"},
                               {"field": "status", "equals": "Resolved"}]}])):
            a.put(self.health_alert_id(name), {
                "name": name, "location": "Global", "type": "Microsoft.Insights/ActivityLogAlerts",
                "properties": {"enabled": True, "scopes": [f"/subscriptions/{SUB}"],
                               "condition": {"allOf": condition},
                               "actions": {"actionGroups": [{"actionGroupId": group_id}]}}})

    def health_alert_id(self, name: str) -> str:
        return (f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Insights/"
                f"activityLogAlerts/{name}")

    def healthy_maintenance_rule(self) -> None:
        put_maintenance_rule(self.boto("sns"), self.boto("events"))


def reset_moto(url: str) -> None:
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).read()


def point_clients_at(monkeypatch: pytest.MonkeyPatch, azure: AzureStandIn, azure_url: str,
                     cert: Path) -> None:
    """The environment a user would set, pointed at the stand-ins: the Azure stand-in's managed
    identity and ARM, its CA trusted, test AWS keys; nothing of the machine's own logins."""
    for name in AZURE_ENV_TO_CLEAR:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"{azure_url}/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", azure.identity_header)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    monkeypatch.setenv("GATEWATCH_ARM_ENDPOINT", azure_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


@contextlib.contextmanager
def azure_standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                  ) -> Iterator[tuple[AzureStandIn, str]]:
    """The Azure stand-in served over HTTPS, the product's Azure clients pointed at it (managed
    identity token, ARM and Log Analytics endpoints, its CA) and no other Azure login around."""
    cert, key = make_cert(tmp_path)
    azure = AzureStandIn()
    with azure.serve(cert, key) as azure_url:
        point_clients_at(monkeypatch, azure, azure_url, cert)
        monkeypatch.setenv("GATEWATCH_LOGS_ENDPOINT", azure_url)
        monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.azure or ~/.aws from the machine
        yield azure, azure_url


@contextlib.contextmanager
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moto_url: str) -> Iterator[World]:
    reset_moto(moto_url)
    monkeypatch.setattr(botocore.session, "create_loader", _sharing_loader)
    ec2 = Ec2StandIn()
    health = HealthStandIn()
    cloudtrail = CloudTrailStandIn()
    with azure_standin(tmp_path, monkeypatch) as (azure, azure_url), \
            ec2.serve() as ec2_url, health.serve() as health_url, \
            cloudtrail.serve() as cloudtrail_url:
        monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", moto_url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH", moto_url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", ec2_url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_HEALTH", health_url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_EVENTBRIDGE", moto_url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", cloudtrail_url)
        yield World(tmp_path, moto_url, azure, ec2, health,
                    dt.datetime.now(dt.UTC).replace(microsecond=0), azure_url, cloudtrail)

