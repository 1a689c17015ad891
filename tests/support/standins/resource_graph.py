"""Azure Resource Graph, locally: `POST /providers/Microsoft.ResourceGraph/resources`, served by
the Azure stand-in (azure.py) behind its token check.

Wire format from Microsoft's API definition (azure-rest-api-specs, specification/
resourcegraph/resource-manager/Microsoft.ResourceGraph/stable/2021-03-01/resourcegraph.json):
a QueryRequest body (`query` required; `subscriptions`, `managementGroups`, `options` with
`$skipToken`, `$top` 1-1000, `$skip`, `resultFormat`, `allowPartialScopes`, `facets`) and a
QueryResponse (`totalRecords`, `count`, `resultTruncated` "true"/"false", `$skipToken`, `data`,
`facets`); errors as `{"error": {"code", "message", "details"}}`.

Behaviour:
- The submitted KQL runs with duckdb-kql over a `resources` table holding the resources of the
  subscriptions the login can read (`readable`; a request naming `subscriptions` is narrowed
  to those), as the service scopes a query without subscriptions to every one the caller sees.
- Paging: at most `page_size` rows per answer (or `$top`), then a `$skipToken` that is only
  good for the same query ("together with the same query and scopes", the definition); a
  token for another query is 400 BadRequest.
- Throttling: every answer carries `x-ms-user-quota-remaining` and
  `x-ms-user-quota-resets-after` (hh:mm:ss) of a quota of `quota` queries per `window`
  seconds (Microsoft's example: 15 per 5 s, "Guidance for throttled requests in Azure
  Resource Graph", https://learn.microsoft.com/azure/governance/resource-graph/concepts/
  guidance-for-throttled-requests); past it, 429 with code RateLimiting and the message the
  service sends (as quoted in Azure/azure-cli-extensions issue 3325). `throttle_next` forces
  the next N queries to 429.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Mapping
from typing import Any

from tests.support import stacks

API_VERSIONS = ("2021-03-01", "2022-10-01", "2024-04-01")
PATH = "/providers/microsoft.resourcegraph/resources"
_OPTIONS = {"$skipToken", "$top", "$skip", "resultFormat", "allowPartialScopes"}
_REQUEST = {"query", "subscriptions", "managementGroups", "options", "facets"}
_COLUMNS = ("id", "name", "type", "subscriptionId", "resourceGroup", "location")
THROTTLED_MESSAGE = ("Client application has been throttled and should not attempt to repeat "
                     "the request until an amount of time has elapsed. Please see "
                     "https://aka.ms/resourcegraph-throttling for help.")

Answer = tuple[int, Any, dict[str, str]]


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None
           ) -> Answer:
    return status, {"error": {"code": code, "message": message,
                              "details": [{"code": code, "message": message}]}}, headers or {}


class ResourceGraphStandIn:
    def __init__(self, page_size: int = 1000, quota: int = 15, window: float = 5.0) -> None:
        self.rows: list[dict[str, Any]] = []
        self.readable: set[str] | None = None  # subscription ids (lower case); None: all
        self.page_size = page_size
        self.quota, self.window = quota, window
        self.throttle_next = 0
        self.bodies: list[dict[str, Any]] = []  # every request body, as sent
        self.throttled = 0  # 429 answers given
        self._window_start = 0.0
        self._used = 0
        self._lock = threading.Lock()

    def add(self, resource_id: str, resource_type: str, location: str,
            properties: Mapping[str, Any]) -> None:
        parts = resource_id.split("/")
        self.rows.append({"id": resource_id, "name": parts[-1], "type": resource_type.lower(),
                          "subscriptionId": parts[2], "resourceGroup": parts[4].lower(),
                          "location": location, "properties": dict(properties)})

    def add_gateway(self, subscription: str, group: str, name: str, location: str = "japaneast",
                    gateway_type: str = "Vpn", vpn_type: str = "RouteBased") -> str:
        gateway_id = stacks.gateway_id(group, name, subscription)
        self.add(gateway_id, "Microsoft.Network/virtualNetworkGateways", location,
                 {"gatewayType": gateway_type, "vpnType": vpn_type, "sku": {"name": "VpnGw1"}})
        return gateway_id

    # --- protocol ---------------------------------------------------------------------------

    def _quota(self) -> tuple[bool, dict[str, str]]:
        """Take one query from the window's quota: (allowed, the throttling headers)."""
        now = time.monotonic()
        if now - self._window_start >= self.window:
            self._window_start, self._used = now, 0
        allowed = self._used < self.quota and self.throttle_next == 0
        if self.throttle_next:
            self.throttle_next -= 1
        elif allowed:
            self._used += 1
        left = max(0.0, self.window - (now - self._window_start))
        whole, frac = divmod(left, 1)
        resets = f"{int(whole) // 3600:02d}:{int(whole) // 60 % 60:02d}:{int(whole) % 60:02d}"
        resets += f".{int(frac * 1000):03d}" if frac else ""
        return allowed, {"x-ms-user-quota-remaining": str(max(0, self.quota - self._used)),
                         "x-ms-user-quota-resets-after": resets}

    def query(self, params: Mapping[str, list[str]], body: bytes) -> Answer:
        version = params.get("api-version", [""])[0]
        if version not in API_VERSIONS:
            return _error(400, "InvalidApiVersionParameter" if version else
                          "MissingApiVersionParameter", f"api-version '{version}' is not "
                          f"supported; supported: {', '.join(API_VERSIONS)}")
        try:
            request = json.loads(body or b"null")
        except ValueError:
            return _error(400, "InvalidRequestContent", "The request content is not valid JSON.")
        if not isinstance(request, dict) or not isinstance(request.get("query"), str):
            return _error(400, "BadRequest", "The 'query' property is required.")
        unknown = sorted(set(request) - _REQUEST) + sorted(
            set(request.get("options") or {}) - _OPTIONS)
        if unknown:
            return _error(400, "BadRequest", f"Unknown property '{unknown[0]}'.")
        with self._lock:
            self.bodies.append(request)
            allowed, headers = self._quota()
            if not allowed:
                self.throttled += 1
                return _error(429, "RateLimiting", THROTTLED_MESSAGE, headers)
        return self._page(request, headers)

    def _page(self, request: Mapping[str, Any], headers: dict[str, str]) -> Answer:
        options = request.get("options") or {}
        top = options.get("$top")
        if top is not None and not (isinstance(top, int) and 1 <= top <= 1000):
            return _error(400, "BadRequest", "$top must be between 1 and 1000.", headers)
        text = request["query"]
        digest = hashlib.sha256(json.dumps([text, request.get("subscriptions")]).encode()
                                ).hexdigest()[:16]
        offset = int(options.get("$skip") or 0)
        if options.get("$skipToken"):
            try:
                token = json.loads(base64.b64decode(options["$skipToken"]))
                assert token["q"] == digest
                offset = int(token["offset"])
            except Exception:
                return _error(400, "BadRequest", "The $skipToken is not valid for this query "
                              "and scope.", headers)
        try:
            columns, records = self._run(text, request.get("subscriptions"))
        except Exception as error:
            return _error(400, "BadRequest", f"Query is invalid: {error}", headers)
        size = min(self.page_size, top or self.page_size)
        rows = [dict(zip(columns, r, strict=True)) for r in records[offset:offset + size]]
        answer: dict[str, Any] = {"totalRecords": len(records), "count": len(rows),
                                  "resultTruncated": "false", "data": rows, "facets": []}
        if offset + size < len(records):
            answer["$skipToken"] = base64.b64encode(json.dumps(
                {"q": digest, "offset": offset + size}).encode()).decode()
        return 200, answer, headers

    def _run(self, text: str, subscriptions: list[str] | None
             ) -> tuple[list[str], list[tuple[Any, ...]]]:
        import duckdb_kql

        scope = {s.lower() for s in subscriptions} if subscriptions else None
        rows = [r for r in self.rows
                if (self.readable is None or r["subscriptionId"].lower() in self.readable)
                and (scope is None or r["subscriptionId"].lower() in scope)]
        con = duckdb_kql.connect()
        try:
            con.execute("CREATE TABLE resources (" + ", ".join(
                f"{c} VARCHAR" for c in _COLUMNS) + ", properties JSON)")
            for r in rows:
                con.execute("INSERT INTO resources VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [*(r[c] for c in _COLUMNS), json.dumps(r["properties"])])
            relation = duckdb_kql.kql(con, text)
            return list(relation.columns), relation.fetchall()
        finally:
            con.close()
