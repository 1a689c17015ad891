"""Azure, locally: managed-identity tokens, ARM reads and the Log Analytics query API.

One HTTPS server (see tls.py) plays three endpoints; the product reaches them through its
documented overrides: IDENTITY_ENDPOINT/IDENTITY_HEADER (azure-identity's App Service managed
identity, part of DefaultAzureCredential), GATEWATCH_ARM_ENDPOINT, GATEWATCH_LOGS_ENDPOINT.

- Token: GET /msi/token?api-version=2019-08-01&resource=R with the X-IDENTITY-HEADER secret.
- IMDS, as on a host with no managed identity assigned (reach it with
  AZURE_POD_IDENTITY_AUTHORITY_HOST): GET /metadata/identity/oauth2/token answers 400
  invalid_request "Identity not found" (400 bad_request_102 without the `Metadata: true`
  header), the errors Microsoft documents for IMDS ("How to use managed identities for Azure
  resources on an Azure VM to acquire an access token", error handling).
- A login host (reach it with AZURE_AUTHORITY_HOST and AZURE_TENANT_ID=adfs, which MSAL
  serves without instance discovery through login.microsoftonline.com) that knows no service
  principal: GET /adfs/.well-known/openid-configuration names its endpoints (OpenID Connect
  Discovery 1.0, https://openid.net/specs/openid-connect-discovery-1_0.html, section 4.2) and
  POST /adfs/oauth2/token answers 401 invalid_client (RFC 6749 "The OAuth 2.0 Authorization
  Framework", https://www.rfc-editor.org/rfc/rfc6749, section 5.2).
- ARM: every other request needs `Authorization: Bearer <the issued token>` (401 otherwise)
  and an `api-version` query parameter (400 otherwise, as ARM answers). GET of a stored
  resource id (case-insensitive, as ARM ids are) returns its body; a role-assignment list at
  a scope honours `$filter=principalId eq '...'`; anything else is 404 ResourceNotFound.
- Resource Graph: POST /providers/Microsoft.ResourceGraph/resources, answered by `graph`
  (resource_graph.py: paging, throttling headers, 429).
- The Activity log: GET /subscriptions/{id}/providers/Microsoft.Insights/eventtypes/management/
  values, answered by `activity` (activity_log.py: the documented $filter patterns, $select,
  nextLink pages); its path in `forbidden` answers 403 as below.
- ARM lists of a subscription's alert rules, the stored rules under
  /subscriptions/{id}/providers/Microsoft.Insights/{type}, shaped as Microsoft's API
  definitions (Azure/azure-rest-api-specs, specification/monitor/resource-manager/
  Microsoft.Insights/stable/...): MetricAlerts_ListBySubscription (2018-03-01,
  metricAlert_API.json) is `"x-ms-pageable": {"nextLinkName": null}` and its
  MetricAlertResourceCollection has `value` only, so it is one answer; ActivityLogAlerts_
  ListBySubscriptionId (2020-10-01, ActivityLogAlertList: value + nextLink) and
  ScheduledQueryRules_ListBySubscription (2023-12-01, `"nextLinkName": "nextLink"`) come in
  pages of `page_size` with an absolute `nextLink` carrying a `$skipToken`
  (`metric_alerts_paged` pages the metric list too: a failure mode, not the definition). A path in
  `forbidden` answers 403 AuthorizationFailed, as ARM does without
  Microsoft.Insights/<type>/read.
- Log Analytics: POST /v1/workspaces/{customerId}/query runs the submitted KQL with
  duckdb-kql over the workspace's fixture rows, restricted to the request's `timespan` (as
  the service restricts it), at the stand-in's `now`. Unknown workspace: 404
  WorkspaceNotFoundError; KQL duckdb-kql cannot run: 400 BadArgumentError with its message.
  Each query gets fresh tables (gatewatch.kql.execute's, filled as `fixture_connection` fills
  them) in its own in-memory database, attached to one DuckDB instance per stand-in and
  detached after the query: opening a DuckDB instance per query cost ~15-40 ms.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import re
import secrets
import ssl
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from gatewatch.kql.execute import (
    FixtureError,
    _create_table,
    _insert_rows,
    as_utc,
    prepare_query,
)
from gatewatch.kql.tables import load_schemas
from tests.support.standins import httpd
from tests.support.standins.activity_log import ActivityLogStandIn
from tests.support.standins.resource_graph import PATH as GRAPH_PATH
from tests.support.standins.resource_graph import ResourceGraphStandIn

_DUCK_TO_KQL = {"TIMESTAMP": "datetime", "BIGINT": "long", "INTEGER": "int", "DOUBLE": "real",
                "BOOLEAN": "bool", "VARCHAR": "string", "JSON": "dynamic", "INTERVAL": "timespan"}
_FILTER = re.compile(r"principalId eq '(?P<id>[^']+)'")
# The subscription-wide alert-rule lists: ARM type (lower case) -> paged (has nextLink).
_RULE_LISTS = {"metricalerts": False, "activitylogalerts": True, "scheduledqueryrules": True}
_RULE_LIST = re.compile(r"/subscriptions/(?P<sub>[^/]+)/providers/microsoft\.insights/"
                        r"(?P<type>metricalerts|activitylogalerts|scheduledqueryrules)")


class AzureStandIn:
    def __init__(self, now: dt.datetime | None = None) -> None:
        self.now = now
        self.resources: dict[str, dict[str, Any]] = {}
        self.role_assignments: list[dict[str, Any]] = []
        self.workspaces: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self.identity_header = secrets.token_hex(8)
        self.token = "standin-" + secrets.token_hex(16)
        self.queries: list[str] = []
        self.requests: list[tuple[str, str]] = []
        self.connections = 0  # TCP (TLS) connections accepted: clients that reuse theirs open few
        self.errors: list[str] = []
        self.forbidden: set[str] = set()  # ARM paths (lower case) answered 403
        self.unavailable = False  # Log Analytics queries answered 503 ServiceUnavailable
        self.graph = ResourceGraphStandIn()
        self.activity = ActivityLogStandIn()
        self.page_size = 100  # items per page of the paged rule lists
        # A failure mode, not the definition: the metric alert list pages anyway (page_size
        # items and a nextLink, which api-version 2018-03-01 does not define).
        self.metric_alerts_paged = False
        self._duck: Any = None  # one DuckDB instance; each query attaches its own database
        self._lock = threading.Lock()
        self._query_numbers = itertools.count(1)

    # --- scene setting ----------------------------------------------------------------------

    def put(self, resource_id: str, body: Mapping[str, Any]) -> None:
        self.resources[resource_id.rstrip("/").lower()] = {"id": resource_id, **body}

    def remove(self, resource_id: str) -> None:
        self.resources.pop(resource_id.rstrip("/").lower(), None)

    def add_workspace(self, customer_id: str, rows: Mapping[str, Sequence[Mapping[str, Any]]]
                      ) -> None:
        self.workspaces[customer_id] = {k: [dict(r) for r in v] for k, v in rows.items()}

    # --- protocol ---------------------------------------------------------------------------

    def _token(self, query: Mapping[str, list[str]], headers: Any) -> tuple[int, Any]:
        if headers.get("X-IDENTITY-HEADER") != self.identity_header:
            return 400, {"error": "missing or wrong X-IDENTITY-HEADER"}
        return 200, {"access_token": self.token, "expires_on": str(int(time.time()) + 3600),
                     "resource": query.get("resource", [""])[0], "token_type": "Bearer"}

    def _imds_token(self, headers: Any) -> tuple[int, Any]:
        if headers.get("Metadata") != "true":
            return 400, {"error": "invalid_request",
                         "error_description": "Required metadata header not specified"}
        return 400, {"error": "invalid_request", "error_description": "Identity not found"}

    def _arm_get(self, path: str, query: Mapping[str, list[str]], base: str = ""
                 ) -> tuple[int, Any]:
        if "api-version" not in query:
            return 400, {"error": {"code": "MissingApiVersionParameter",
                                   "message": "The api-version query parameter is required."}}
        key = path.rstrip("/").lower()
        if key in self.forbidden:
            return 403, {"error": {"code": "AuthorizationFailed", "message": "The client does "
                                   "not have authorization to perform action 'read'."}}
        if key.endswith("/providers/microsoft.authorization/roleassignments"):
            scope = key[: -len("/providers/microsoft.authorization/roleassignments")]
            match = _FILTER.search(query.get("$filter", [""])[0])
            found = [a for a in self.role_assignments
                     if scope.startswith(a["properties"]["scope"].lower())
                     and (match is None or a["properties"]["principalId"] == match["id"])]
            return 200, {"value": found}
        listed = self._rule_list(key, query, base) or self.activity.answer(key, query, base)
        if listed is not None:
            return listed
        if key in self.resources:
            return 200, self.resources[key]
        return 404, {"error": {"code": "ResourceNotFound",
                               "message": f"The Resource '{path}' was not found."}}

    def _rule_list(self, key: str, query: Mapping[str, list[str]], base: str
                   ) -> tuple[int, Any] | None:
        """A subscription's rules of one type (see the module docstring), or None if `key` is
        no such list."""
        match = _RULE_LIST.fullmatch(key)
        if match is None:
            return None
        prefix = f"/subscriptions/{match['sub']}/"
        marker = f"/providers/microsoft.insights/{match['type']}/"
        found = [self.resources[k] for k in sorted(self.resources)
                 if k.startswith(prefix) and marker in k]
        if not _RULE_LISTS[match["type"]] and not self.metric_alerts_paged:
            return 200, {"value": found}
        start = int(query.get("$skipToken", ["0"])[0])
        page: dict[str, Any] = {"value": found[start:start + self.page_size]}
        if start + self.page_size < len(found):
            page["nextLink"] = (f"{base}{key}?api-version={query['api-version'][0]}"
                                f"&$skipToken={start + self.page_size}")
        return 200, page

    def _timespan(self, text: str | None, now: dt.datetime
                  ) -> tuple[dt.datetime | None, dt.datetime | None]:
        if not text:
            return None, None
        if "/" in text:
            a, b = text.split("/", 1)
            return as_utc(a), as_utc(b)
        from gatewatch.catalog.files import parse_duration

        return now - parse_duration(text), now

    def _query(self, customer_id: str, body: Mapping[str, Any]) -> tuple[int, Any]:
        import duckdb_kql

        if customer_id not in self.workspaces:
            return 404, {"error": {"code": "WorkspaceNotFoundError",
                                   "message": f"Workspace {customer_id} not found"}}
        text = str(body.get("query", ""))
        self.queries.append(text)
        now = self.now or dt.datetime.now(dt.UTC)
        start, end = self._timespan(body.get("timespan"), now)
        rows = {}
        for table, items in self.workspaces[customer_id].items():
            kept = []
            for row in items:
                t = row.get("TimeGenerated")
                if t is not None and start is not None and end is not None and not (
                        start <= as_utc(t) <= end):
                    continue
                kept.append(row)
            rows[table] = kept
        with self._fixture_database(rows, now) as con:
            try:
                relation = duckdb_kql.kql(con, prepare_query(text), query_now=as_utc(now))
                columns = [{"name": n, "type": _DUCK_TO_KQL.get(str(t).split("(")[0], "string")}
                           for n, t in zip(relation.columns, relation.types, strict=True)]
                records = [[_cell(v) for v in record] for record in relation.fetchall()]
            except Exception as error:  # the service answers bad KQL with 400, so does this
                self.errors.append(str(error))
                return 400, {"error": {"code": "BadArgumentError", "message": str(error)}}
        return 200, {"tables": [{"name": "PrimaryResult", "columns": columns, "rows": records}]}

    @contextlib.contextmanager
    def _fixture_database(self, rows: Mapping[str, Sequence[Mapping[str, Any]]],
                          now: dt.datetime) -> Iterator[Any]:
        """A connection whose current database holds every schema table with `rows` (those
        ingested after `now` left out), as gatewatch.kql.execute.fixture_connection builds
        it, and nothing else: the database is this query's own, detached afterwards."""
        import duckdb_kql

        schemas = load_schemas()
        unknown = sorted(set(rows) - set(schemas))
        if unknown:
            raise FixtureError(f"fixture names unknown table(s): {', '.join(unknown)}")
        with self._lock:
            if self._duck is None:
                self._duck = duckdb_kql.connect()
            con = self._duck.cursor()
        name = f"query_{next(self._query_numbers)}"
        try:
            con.execute("SET TimeZone='UTC'")
            con.execute(f"ATTACH ':memory:' AS {name}")
            con.execute(f"USE {name}")
            for table in schemas.values():
                _create_table(con, table)
                _insert_rows(con, table, rows.get(table.name, ()), now)
            yield con
        finally:
            con.execute("USE memory")
            con.execute(f"DETACH DATABASE IF EXISTS {name}")
            con.close()

    def close(self) -> None:
        with self._lock:
            if self._duck is not None:
                self._duck.close()
                self._duck = None

    def handle(self, method: str, raw_path: str, headers: Any, body: bytes
               ) -> tuple[int, Any] | tuple[int, Any, dict[str, str]]:
        parts = urlsplit(raw_path)
        query = parse_qs(parts.query)
        self.requests.append((method, parts.path))
        if parts.path == "/msi/token":
            return self._token(query, headers)
        if parts.path == "/metadata/identity/oauth2/token":
            return self._imds_token(headers)
        if parts.path == "/adfs/.well-known/openid-configuration":
            base = f"https://{headers.get('Host')}/adfs"
            return 200, {"issuer": base, "authorization_endpoint": f"{base}/oauth2/authorize",
                         "token_endpoint": f"{base}/oauth2/token"}
        if parts.path == "/adfs/oauth2/token" and method == "POST":
            return 401, {"error": "invalid_client", "error_description":
                         "Client authentication failed: no such client or wrong secret."}
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": {"code": "AuthenticationFailed",
                                   "message": "missing or invalid bearer token"}}
        if method == "POST" and parts.path.lower() == GRAPH_PATH:
            return self.graph.query(query, body)
        match = re.fullmatch(r"/v1/workspaces/([^/]+)/query", parts.path)
        if match and method == "POST" and self.unavailable:
            return 503, {"error": {"code": "ServiceUnavailable",
                                   "message": "The service is temporarily unavailable."}}
        if match and method == "POST":
            return self._query(match.group(1), json.loads(body or b"{}"))
        if method == "GET" and parts.path.startswith("/subscriptions/"):
            return self._arm_get(parts.path, query, f"https://{headers.get('Host')}")
        return 405, {"error": {"code": "MethodNotAllowed", "message": f"{method} {parts.path}"}}

    @contextlib.contextmanager
    def serve(self, cert: Path, key: Path) -> Iterator[str]:
        standin = self

        class Handler(httpd.Handler):
            # Keep-alive, as ARM and Log Analytics do: one TLS handshake per client, not per
            # request. Without Nagle, else each reply (headers, then body) waits a delayed ACK.
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def setup(self) -> None:
                super().setup()
                with standin._lock:
                    standin.connections += 1

            def _answer(self, method: str) -> None:
                status, answer, *extra = standin.handle(method, self.path, self.headers,
                                                        self.body())
                self.reply(status, json.dumps(answer).encode(), "application/json; charset=utf-8",
                           extra[0] if extra else None)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        try:
            with httpd.serving(server, "https") as url:
                yield url
        finally:
            self.close()


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.timedelta):
        return str(value)
    return value
