"""Azure reads for `doctor` and `triage`, through Microsoft's SDKs.

- credentials: azure-identity `DefaultAzureCredential` (Azure CLI login, managed identity,
  environment service principal, ...). Tokens are requested, never printed or stored. The
  first token is requested up front with the `azure.identity` logger captured (azure-identity
  logs each credential's failure there, "Logging" in the azure-identity README,
  https://learn.microsoft.com/python/api/overview/azure/identity-readme#logging): no credential
  or a refused one is `LoginError` naming the login with at most one line of the SDK's text; a
  login host that cannot be reached (a ServiceRequestError under the credential that stopped
  the chain) is `AzureUnreachable` naming the host, not "run az login".
- KQL: azure-monitor-query `LogsQueryClient.query_workspace`.
- ARM reads: azure-mgmt-monitor (diagnostic settings, scheduled query rules, action groups,
  the Activity log),
  azure-mgmt-authorization (role assignments), azure-mgmt-resource (generic GET by id for the
  workspace and the gateway).

Endpoints (for sovereign clouds, private links, and the tests' stand-ins):
  GATEWATCH_ARM_ENDPOINT   default https://management.azure.com
  GATEWATCH_LOGS_ENDPOINT  default https://api.loganalytics.io
TLS is always on (azure-core refuses to send a bearer token over http://); a stand-in with a
private CA is trusted through REQUESTS_CA_BUNDLE, as for any requests-based client.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from gatewatch.live import sources

if TYPE_CHECKING:
    from azure.identity import DefaultAzureCredential
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.monitor import MonitorManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.monitor.query import LogsQueryClient

_Client = TypeVar("_Client")

ARM_ENDPOINT_ENV = "GATEWATCH_ARM_ENDPOINT"
LOGS_ENDPOINT_ENV = "GATEWATCH_LOGS_ENDPOINT"
DEFAULT_ARM = "https://management.azure.com"
DEFAULT_LOGS = "https://api.loganalytics.io"
ARM_SCOPE = "https://management.azure.com/.default"

# API versions of the generic GETs ("Azure REST API reference", https://learn.microsoft.com/
# rest/api/azure/: Log Analytics Workspaces - Get, Virtual Network Gateways - Get).
WORKSPACE_API_VERSION = "2023-09-01"
GATEWAY_API_VERSION = "2024-05-01"
# azure-mgmt-monitor 7 has no diagnostic-settings operations: a generic GET at the version
# pulumi-azure-native 3.29 deploys them with.
DIAGNOSTIC_SETTINGS_API_VERSION = "2021-05-01-preview"

AZURE_LOGIN_HINT = ("no Azure credential: run `az login` (or set AZURE_CLIENT_ID/"
                    "AZURE_TENANT_ID/AZURE_CLIENT_SECRET, or run on a managed identity)")


SP_VARIABLES = ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET")
MAX_SDK_TEXT = 200
_IDENTITY_LOGGER = "azure.identity"
_CHAIN_LOGGER = "azure.identity._credentials.chained"  # logs the credential that broke the chain
# Where urllib3/requests name the peer in their messages, and the text of a connection failure
# reported by a credential that only has text (the Azure CLI's stderr).
_HOST_PORT = re.compile(r"host='(?P<host>[^']+)', port=(?P<port>\d+)")
_RESOLVE = re.compile(r"Failed to resolve '(?P<host>[^']+)'")
_NETWORK_TEXT = re.compile(r"Failed to establish a new connection|Failed to resolve|Connection "
                           r"refused|Name or service not known|timed out|Max retries exceeded")


class LoginError(Exception):
    """No usable credential; the message says which login to run (and holds no secret)."""


class AzureUnreachable(Exception):
    """An Azure host (login, ARM, Log Analytics) could not be reached; the message names it."""


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def _identity_log() -> Iterator[list[logging.LogRecord]]:
    """Capture what azure-identity logs while the block runs, printing none of it."""
    logger = logging.getLogger(_IDENTITY_LOGGER)
    handler = _Records()
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    """The exception, its causes and azure-core's `inner_exception`s, each once."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__, getattr(current, "inner_exception", None)]


def _sdk_line(text: str) -> str:
    flat = " ".join(text.strip().splitlines()[0].split()) if text.strip() else ""
    return flat if len(flat) <= MAX_SDK_TEXT else flat[:MAX_SDK_TEXT - 3] + "..."


def unreached_host(exc: BaseException | None) -> str | None:
    """host[:port] when `exc` (or what it wraps) is a failure to connect, else None."""
    from azure.core.exceptions import ServiceRequestError

    network = False
    for item in _chain(exc):
        conn = getattr(item, "conn", None)  # urllib3's NewConnectionError/NameResolutionError
        host, port = getattr(conn, "host", None), getattr(conn, "port", None)
        if host:
            return f"{host}:{port}" if port else str(host)
        text = str(item)
        match = _HOST_PORT.search(text) or _RESOLVE.search(text)
        if isinstance(item, ServiceRequestError | ConnectionError | TimeoutError) or \
                _NETWORK_TEXT.search(text):
            network = True
            if match:
                port = match.groupdict().get("port")
                return f"{match['host']}:{port}" if port else match["host"]
    return "the login host" if network else None


def _login_problem(error: BaseException, records: list[logging.LogRecord]) -> Exception:
    """AzureUnreachable or LoginError for DefaultAzureCredential's ClientAuthenticationError,
    from the chain's own log: the credential that broke the chain, with its real exception."""
    broke = next((r.exc_info[1] for r in reversed(records)
                  if r.name == _CHAIN_LOGGER and r.exc_info and r.exc_info[1] is not None),
                 None)
    host = unreached_host(broke)
    if broke is not None and host is not None:
        return AzureUnreachable(
            f"Azure's login host {host} could not be reached: check "
            "the network, HTTPS_PROXY and AZURE_AUTHORITY_HOST; the credential itself was not "
            f"checked (azure-identity: {_sdk_line(str(broke))})")
    if broke is not None:  # a credential that was configured tried, and was refused
        if all(os.environ.get(v) for v in SP_VARIABLES[:2]):
            fix = ("Azure refused the service principal in AZURE_CLIENT_ID/AZURE_TENANT_ID/"
                   "AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH): check the three "
                   "values, or unset them and run `az login`")
        else:
            fix = "Azure refused the credential it found: run `az login` again"
        return LoginError(f"{fix} (azure-identity: {_sdk_line(str(broke))})")
    lines = [line.strip() for line in str(error).splitlines()]
    cli = next((line for line in lines if line.startswith("AzureCliCredential:")), "")
    return LoginError(AZURE_LOGIN_HINT + (f" (azure-identity: {_sdk_line(cli)})" if cli else ""))


class NotFound(Exception):
    """An ARM resource does not exist (HTTP 404)."""


def _timeouts(read_timeout: int) -> dict[str, int]:
    """azure-core transport timeouts and a bounded retry (see gatewatch/live/sources.py)."""
    return {"connection_timeout": sources.CONNECT_TIMEOUT, "read_timeout": read_timeout,
            "retry_total": sources.AZURE_RETRY_TOTAL}


def _odata_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def arm_endpoint() -> str:
    return os.environ.get(ARM_ENDPOINT_ENV, DEFAULT_ARM).rstrip("/")


def logs_endpoint() -> str:
    return os.environ.get(LOGS_ENDPOINT_ENV, DEFAULT_LOGS).rstrip("/")


@dataclass
class AzureReader:
    """Lazily built SDK clients sharing one credential. Each client is built once (per
    subscription) and reused, so its connection to ARM or Log Analytics is opened once per
    run rather than once per read."""

    subscription_id: str
    _credential: DefaultAzureCredential | None = None
    _clients: dict[tuple[str, str], object] = field(default_factory=dict)

    def credential(self) -> DefaultAzureCredential:
        if self._credential is None:
            from azure.core.exceptions import ClientAuthenticationError
            from azure.identity import DefaultAzureCredential

            # Later failures are raised to the command, which says them in one line: the
            # chain's own report must not reach stderr through logging's last resort.
            logger = logging.getLogger(_IDENTITY_LOGGER)
            if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
                logger.addHandler(logging.NullHandler())
            credential = DefaultAzureCredential(exclude_interactive_browser_credential=True)
            with _identity_log() as records:
                try:
                    credential.get_token(ARM_SCOPE)  # fail early, before any table is printed
                except ClientAuthenticationError as error:
                    raise _login_problem(error, records) from None
            self._credential = credential
        return self._credential

    def mgmt_kwargs(self) -> dict[str, Any]:
        """ARM's endpoint, scope, timeouts and retry: every management client's settings."""
        return {"base_url": arm_endpoint(), "credential_scopes": [ARM_SCOPE],
                **_timeouts(sources.ARM_READ_TIMEOUT)}

    def _client(self, kind: str, subscription_id: str,
                build: Callable[[], _Client]) -> _Client:
        key = (kind, subscription_id)
        if key not in self._clients:
            self._clients[key] = build()
        return cast(_Client, self._clients[key])

    def monitor(self, subscription_id: str | None = None) -> MonitorManagementClient:
        from azure.mgmt.monitor import MonitorManagementClient

        sub = subscription_id or self.subscription_id
        return self._client("monitor", sub, lambda: MonitorManagementClient(
            self.credential(), sub, **self.mgmt_kwargs()))

    def authorization(self, subscription_id: str | None = None
                      ) -> AuthorizationManagementClient:
        from azure.mgmt.authorization import AuthorizationManagementClient

        sub = subscription_id or self.subscription_id
        return self._client("authorization", sub, lambda: AuthorizationManagementClient(
            self.credential(), sub, **self.mgmt_kwargs()))

    def resources(self, subscription_id: str | None = None) -> ResourceManagementClient:
        from azure.mgmt.resource.resources import ResourceManagementClient

        sub = subscription_id or self.subscription_id
        return self._client("resources", sub, lambda: ResourceManagementClient(
            self.credential(), sub, **self.mgmt_kwargs()))

    def logs(self) -> LogsQueryClient:
        from azure.monitor.query import LogsQueryClient

        return self._client("logs", "", lambda: LogsQueryClient(
            self.credential(), endpoint=logs_endpoint() + "/v1",
            **_timeouts(sources.LOGS_READ_TIMEOUT), retry_read=0))

    # --- reads ----------------------------------------------------------------------------

    def get_by_id(self, resource_id: str, api_version: str) -> dict[str, Any]:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            resource = self.resources().resources.get_by_id(resource_id, api_version=api_version)
        except ResourceNotFoundError:
            raise NotFound(resource_id) from None
        result: dict[str, Any] = resource.as_dict()
        return result

    def diagnostic_setting(self, resource_id: str, name: str) -> dict[str, Any]:
        """The setting's `properties` (ARM's camelCase keys); NotFound when absent."""
        setting_id = f"{resource_id}/providers/Microsoft.Insights/diagnosticSettings/{name}"
        body = self.get_by_id(setting_id, DIAGNOSTIC_SETTINGS_API_VERSION)
        return dict(body.get("properties") or {})

    def workspace_customer_id(self, workspace_id: str) -> str:
        """The workspace GUID the query API takes (properties.customerId)."""
        props = self.get_by_id(workspace_id, WORKSPACE_API_VERSION).get("properties") or {}
        return str(props["customerId"])

    def activity_log(self, resource_id: str, start: dt.datetime,
                     end: dt.datetime) -> list[dict[str, Any]]:
        """The Activity log events of one resource in [start, end], every page (Activity Logs -
        List, api-version 2015-04-01: `$filter` "eventTimestamp ge '...' and eventTimestamp le
        '...' and resourceUri eq '...'", one of the patterns the API allows, "No other syntax
        is allowed"; pages follow `nextLink`). No `$select`: its documented values leave out
        `caller`, which is what a reader of these events needs. Events as EventData dicts
        (snake_case keys: operation_name.value, status.value, caller, event_timestamp, ...)."""
        sub = resource_id.split("/")[2] if resource_id.lower().startswith("/subscriptions/") \
            else None
        filter_ = (f"eventTimestamp ge '{_odata_time(start)}' and eventTimestamp le "
                   f"'{_odata_time(end)}' and resourceUri eq '{resource_id}'")
        return [dict(event.as_dict()) for event in
                self.monitor(sub).activity_logs.list(filter=filter_)]

    def query(self, customer_id: str, kql: str,
              timespan: tuple[dt.datetime, dt.datetime] | None = None) -> list[dict[str, Any]]:
        """Run KQL in the workspace; rows as dicts. A partial or failed result raises."""
        from azure.monitor.query import LogsQueryStatus

        response = self.logs().query_workspace(customer_id, kql, timespan=timespan)
        if response.status != LogsQueryStatus.SUCCESS:
            error = getattr(response, "partial_error", None)
            raise RuntimeError(f"Log Analytics query failed: {error}")
        rows: list[dict[str, Any]] = []
        for table in response.tables:
            for row in table.rows:
                rows.append(dict(zip(table.columns, list(row), strict=True)))
        return rows

