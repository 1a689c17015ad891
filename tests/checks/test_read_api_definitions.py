"""The kit's read-only Azure calls, as the stand-ins receive and answer them, judged by
Microsoft's API definitions (Azure/azure-rest-api-specs, vendored verbatim under
vendor/azure-rest-specs, see its SOURCE.json): each request's path and api-version must be an
operation of the definition, its body must validate against the operation's body parameter, and
every answer against the operation's response schema (200, else the status or `default`).

The definitions are Swagger 2.0; their schemas are read as JSON Schema draft 4 (local
`#/definitions/...` refs resolved over the file; `x-ms-*` keys dropped; `readOnly`,
`discriminator` and `externalDocs` are no JSON Schema keywords, so a polymorphic value is judged
by its base definition only, and, as in Swagger 2.0, keys beside a `$ref` are ignored). A `$ref`
into a file not vendored (common-types, an older API version) is any value, and each test names
those it met. One reading follows AutoRest rather than JSON Schema: a bare `"type": "object"`
(no properties, additionalProperties or allOf) is any JSON value. Evidence: the Resource Graph
definition's own example (ResourcesBasicQuery.json, vendored) answers `data` (`"type":
"object"`) with an array, and azure-mgmt-resourcegraph types that field `JSON`. Paths compare
case-insensitively, as ARM's do (the Activity Logs definition writes `microsoft.insights`,
azure-mgmt-monitor sends `Microsoft.Insights`).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
from referencing import Registry
from referencing.jsonschema import DRAFT4

from gatewatch.cli import main
from gatewatch.live.alert_rules import read_subscription_rules
from gatewatch.live.azure import AzureReader
from gatewatch.paths import PROJECT_ROOT
from tests.support import coverage_world as cw
from tests.support.live_world import GW_ID, IDENTITY_ID, SUB, azure_standin
from tests.support.standins.azure import AzureStandIn
from tests.support.standins.azure_rules import activity_log_alert, log_search_alert, metric_alert

SPECS = PROJECT_ROOT / "vendor" / "azure-rest-specs"
GRAPH = ("resourcegraph/resource-manager/Microsoft.ResourceGraph/stable/2021-03-01/"
         "resourcegraph.json")
GRAPH_EXAMPLE = GRAPH.replace("resourcegraph.json", "examples/ResourcesBasicQuery.json")
INSIGHTS = "monitor/resource-manager/Microsoft.Insights/stable/"
ACTIVITY = INSIGHTS + "2015-04-01/activityLogs_API.json"
METRIC_ALERTS = INSIGHTS + "2018-03-01/metricAlert_API.json"
ACTIVITY_LOG_ALERTS = INSIGHTS + "2020-10-01/activityLogAlerts_API.json"
SCHEDULED_QUERY_RULES = INSIGHTS + "2023-12-01/scheduledQueryRule_API.json"
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")
FORMATS = jsonschema.FormatChecker(formats=())
FORMATS.checks("date-time")(lambda value: not isinstance(value, str)
                            or _RFC3339.fullmatch(value) is not None)


# --- what the stand-in received and answered ---------------------------------------------------

@dataclass(frozen=True)
class Exchange:
    method: str
    url: str  # path and query, as sent
    body: Any  # the request's JSON body, None without one
    status: int
    answer: Any  # the answer's JSON, as it went on the wire

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query)


def record(azure: AzureStandIn, monkeypatch: pytest.MonkeyPatch) -> list[Exchange]:
    """Every request the Azure stand-in handles from now on, with its answer (the stand-in's own
    `handle`, wrapped on this instance only)."""
    seen: list[Exchange] = []
    handle = azure.handle

    def recording(method: str, raw_path: str, headers: Any, body: bytes) -> Any:
        answer = handle(method, raw_path, headers, body)
        seen.append(Exchange(method, raw_path, json.loads(body) if body else None, answer[0],
                             json.loads(json.dumps(answer[1]))))
        return answer

    monkeypatch.setattr(azure, "handle", recording)
    return seen


# --- the judge -----------------------------------------------------------------------------------

def _readable(node: Any, autorest_any: bool, external: set[str]) -> Any:
    """The definition as this judge reads it: a bare `"type": "object"` is any value (see the
    module docstring) and a `$ref` into another, unvendored file is any value (collected in
    `external`, so a test can say which)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            external.add(ref)
            return {}
        node = {k: _readable(v, autorest_any, external) for k, v in node.items()
                if not k.startswith("x-ms-")}  # AutoRest's extensions: not judged here
        if autorest_any and node.get("type") == "object" and not {
                "properties", "additionalProperties", "allOf", "$ref"} & set(node):
            del node["type"]
    elif isinstance(node, list):
        node = [_readable(v, autorest_any, external) for v in node]
    return node


class Definition:
    """One vendored Swagger file, able to judge a recorded exchange."""

    def __init__(self, relative: str, autorest_any: bool = True) -> None:
        raw = json.loads((SPECS / relative).read_text(encoding="utf-8"))
        self.external: set[str] = set()
        self.doc: dict[str, Any] = _readable(raw, autorest_any, self.external)
        self.uri = f"urn:azure-rest-specs:{relative}"
        self.registry: Registry[Any] = Registry().with_resource(
            self.uri, DRAFT4.create_resource(self.doc))
        self.api_version: str = self.doc["info"]["version"]

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        for template, item in self.doc["paths"].items():
            pattern = "/".join("[^/]+" if s.startswith("{") else re.escape(s)
                               for s in template.split("/"))
            if re.fullmatch(pattern, path, re.IGNORECASE) and method.lower() in item:
                operation: dict[str, Any] = item[method.lower()]
                return operation
        return None

    def _parameters(self, operation: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
        """The operation's parameters written in this file, and whether that is all of them
        (not so when one is a `$ref` into another file, such as common-types)."""
        listed = operation.get("parameters", [])
        local = [self.doc["parameters"][p["$ref"].split("/")[-1]] if "$ref" in p else p
                 for p in listed if p != {}]
        return local, len(local) == len(listed)

    def errors(self, schema: dict[str, Any], instance: Any) -> list[str]:
        """What the schema (a `$ref` into this file) finds wrong with `instance`."""
        if not schema:  # a `$ref` into an unvendored file: any value
            return []
        validator = jsonschema.Draft4Validator({"$ref": self.uri + schema["$ref"]},
                                               registry=self.registry, format_checker=FORMATS)
        return sorted(f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
                      for e in validator.iter_errors(instance))

    def answer_errors(self, operation: dict[str, Any], status: int, answer: Any) -> list[str]:
        responses = operation["responses"]
        response = responses.get(str(status)) or responses.get("default")
        if response is None:
            return [f"status {status} is not a response of {operation['operationId']}"]
        return self.errors(response["schema"], answer) if "schema" in response else []

    def judge(self, exchange: Exchange, follows_link: bool = False) -> list[str]:
        """Everything the definition finds wrong with one exchange. `follows_link`: the URL is
        a nextLink the service gave, whose query parameters are the service's own."""
        operation = self.operation(exchange.method, exchange.path)
        if operation is None:
            return [f"{exchange.method} {exchange.path} is no operation of {self.uri}"]
        found = []
        version = exchange.query.get("api-version", [None])[0]
        if version != self.api_version:
            found.append(f"api-version {version!r}, the definition's is {self.api_version}")
        parameters, complete = self._parameters(operation)
        if complete and not follows_link:
            declared = {p["name"] for p in parameters if p["in"] == "query"}
            found += [f"query parameter {name!r} is not declared" for name in
                      sorted(set(exchange.query) - declared)]
        for p in parameters:
            if p["in"] == "body" and (exchange.body is not None or p.get("required")):
                found += [f"body: {e}" for e in self.errors(p["schema"], exchange.body)]
        if exchange.body is not None and not any(p["in"] == "body" for p in parameters):
            found.append("a body the operation does not take")
        return found + [f"answer {exchange.status}: {e}" for e in
                        self.answer_errors(operation, exchange.status, exchange.answer)]


@pytest.fixture(scope="module")
def graph_definition() -> Definition:
    return Definition(GRAPH)


@pytest.fixture(scope="module")
def activity_definition() -> Definition:
    return Definition(ACTIVITY)


def test_vendored_files_are_the_recorded_ones() -> None:
    source = json.loads((SPECS / "SOURCE.json").read_text(encoding="utf-8"))
    assert source["repository"] == "https://github.com/Azure/azure-rest-api-specs"
    on_disk = {str(p.relative_to(SPECS)) for p in SPECS.rglob("*.json") if p.name != "SOURCE.json"}
    assert on_disk == set(source["files"])
    for relative, entry in source["files"].items():
        data = (SPECS / relative).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["bytes"], entry["sha256"])
        assert entry["path"] == f"specification/{relative}"
        assert re.fullmatch(r"[0-9a-f]{40}", entry["commit"])


def test_microsofts_own_example_passes_and_needs_the_autorest_reading(
        graph_definition: Definition) -> None:
    example = json.loads((SPECS / GRAPH_EXAMPLE).read_text(encoding="utf-8"))
    exchange = Exchange("POST", "/providers/Microsoft.ResourceGraph/resources?api-version="
                        + example["parameters"]["api-version"], example["parameters"]["query"],
                        200, example["responses"]["200"]["body"])
    assert graph_definition.judge(exchange) == []
    # Read as plain JSON Schema, the definition would refuse Microsoft's own example.
    assert Definition(GRAPH, autorest_any=False).judge(exchange) == [
        "answer 200: data: [{'id': '/subscriptions/cfbbd179-59d2-4052-aa06-9270a38aa9d6/"
        "resourceGroups/RG1/providers/Microsoft.Network/networkInterfaces/myNetworkInterface', "
        "'name': 'myNetworkInterface', 'type': 'microsoft.network/networkinterfaces', "
        "'location': 'centralus', 'tags': {'tag1': 'Value1'}}, {'id': '/subscriptions/"
        "cfbbd179-59d2-4052-aa06-9270a38aa9d6/resourceGroups/RG2/providers/Microsoft.Network/"
        "virtualNetworks/myVnet', 'name': 'myVnet', 'type': 'microsoft.network/virtualnetworks', "
        "'location': 'westus', 'tags': {}}, {'id': '/subscriptions/"
        "cfbbd179-59d2-4052-aa06-9270a38aa9d6/resourceGroups/RG2/providers/Microsoft.Network/"
        "publicIPAddresses/myPublicIp', 'name': 'myPublicIp', 'type': "
        "'microsoft.network/publicipaddresses', 'location': 'westus', 'tags': {}}] is not of "
        "type 'object'"]


# --- 1. Resource Graph: `gatewatch coverage` -------------------------------------------------

@pytest.fixture
def coverage_exchanges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       capsys: pytest.CaptureFixture[str]) -> Iterator[list[Exchange]]:
    """`gatewatch coverage --azure-only` over the estate, Resource Graph paging by 2 (three
    pages) and its first query answered 429: what the stand-in saw."""
    with cw.coverage_world(tmp_path, monkeypatch) as world:
        world.estate()
        world.azure.graph.page_size = 2
        world.azure.graph.quota, world.azure.graph.window = 15, 0.2
        world.azure.graph.throttle_next = 1
        seen = record(world.azure, monkeypatch)
        stack = world.stack("dev", cw.azure_section(cw.HUB, cw.LEGACY))
        capsys.readouterr()
        code = main(["coverage", "--stack", str(stack), "--azure-only"])
        out = capsys.readouterr().out
        assert code == 1, out
        assert "Resource Graph 3 page(s), 1 throttled answer(s) waited out" in out
        yield [e for e in seen if e.path.lower() == "/providers/microsoft.resourcegraph/resources"]


def test_resource_graph_queries_and_answers_are_the_definitions(
        coverage_exchanges: list[Exchange], graph_definition: Definition) -> None:
    assert [e.status for e in coverage_exchanges] == [429, 200, 200, 200]
    assert [bool((e.body.get("options") or {}).get("$skipToken"))
            for e in coverage_exchanges] == [False, False, True, True]
    for exchange in coverage_exchanges:
        assert graph_definition.judge(exchange) == [], exchange.url


def test_a_broken_resource_graph_exchange_fails(
        coverage_exchanges: list[Exchange], graph_definition: Definition) -> None:
    page = next(e for e in coverage_exchanges if e.status == 200)
    assert graph_definition.judge(page) == []

    def broken(change: Any, **fields: Any) -> list[str]:
        copied = copy.deepcopy(page)
        target = {"answer": copied.answer, "body": copied.body}
        change(target)
        return graph_definition.judge(Exchange(**{**copied.__dict__, **target, **fields}))

    assert broken(lambda t: t["answer"].pop("resultTruncated")) == [
        "answer 200: (root): 'resultTruncated' is a required property"]
    assert broken(lambda t: t["answer"].update(totalRecords="5")) == [
        "answer 200: totalRecords: '5' is not of type 'integer'"]
    assert broken(lambda t: t["answer"].update(resultTruncated=False)) == [
        "answer 200: resultTruncated: False is not of type 'string'",
        "answer 200: resultTruncated: False is not one of ['true', 'false']"]
    assert broken(lambda t: t["body"].pop("query")) == [
        "body: (root): 'query' is a required property"]
    assert broken(lambda t: t["body"].update(options={"$top": 0})) == [
        "body: options/$top: 0 is less than the minimum of 1"]
    assert broken(lambda t: None, status=429, answer={"error": {"code": "RateLimiting"}}) == [
        "answer 429: error: 'message' is a required property"]
    assert broken(lambda t: None, url=page.url.replace("2021-03-01", "2022-10-01")) == [
        "api-version '2022-10-01', the definition's is 2021-03-01"]
    assert broken(lambda t: None, url=page.url.replace("/resources", "/resourcesHistory")) == [
        "POST /providers/Microsoft.ResourceGraph/resourcesHistory is no operation of "
        f"urn:azure-rest-specs:{GRAPH}"]


# --- 2. Activity Logs - List: the reader triage uses ---------------------------------------------

@pytest.fixture
def activity_exchanges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                       ) -> Iterator[list[Exchange]]:
    """The kit's Activity log read of one gateway (AzureReader.activity_log, as triage calls
    it): two operations' five events, two a page."""
    with azure_standin(tmp_path, monkeypatch) as (azure, _):
        at = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
        azure.activity.operation("Microsoft.Network/virtualNetworkGateways/reset/action", at,
                                 GW_ID, "alice@contoso.com")
        azure.activity.operation("Microsoft.Network/virtualNetworkGateways/write",
                                 at + dt.timedelta(minutes=5), GW_ID, "bob@contoso.com",
                                 ("Started", "Failed"))
        azure.activity.page_size = 2
        seen = record(azure, monkeypatch)
        events = AzureReader(SUB).activity_log(GW_ID, at - dt.timedelta(hours=1),
                                               at + dt.timedelta(hours=1))
        assert len(events) == 5
        yield [e for e in seen if "/eventtypes/management/values" in e.path.lower()]


def test_activity_log_requests_and_answers_are_the_definitions(
        activity_exchanges: list[Exchange], activity_definition: Definition) -> None:
    assert [e.status for e in activity_exchanges] == [200, 200, 200]
    links = {e.answer.get("nextLink") for e in activity_exchanges}
    for exchange in activity_exchanges:
        follows = any(link and link.endswith(exchange.url) for link in links)
        assert activity_definition.judge(exchange, follows_link=follows) == [], exchange.url
    assert activity_definition.judge(activity_exchanges[0]) == []  # the kit's own query


def test_a_broken_activity_log_answer_fails(activity_exchanges: list[Exchange],
                                            activity_definition: Definition) -> None:
    page = activity_exchanges[0]

    def broken(change: Any, **fields: Any) -> list[str]:
        answer = copy.deepcopy(page.answer)
        change(answer)
        return activity_definition.judge(Exchange(**{**page.__dict__, "answer": answer,
                                                     **fields}))

    assert broken(lambda a: a.pop("value")) == [
        "answer 200: (root): 'value' is a required property"]
    assert broken(lambda a: a["value"][0].update(level="Info")) == [
        "answer 200: value/0/level: 'Info' is not one of ['Critical', 'Error', 'Warning', "
        "'Informational', 'Verbose']"]
    assert broken(lambda a: a["value"][0]["status"].pop("value")) == [
        "answer 200: value/0/status: 'value' is a required property"]
    assert broken(lambda a: a["value"][0].update(eventTimestamp="30/11/2026 09:00")) == [
        "answer 200: value/0/eventTimestamp: '30/11/2026 09:00' is not a 'date-time'"]
    assert broken(lambda a: a["value"][0]["properties"].update(statusCode=202)) == [
        "answer 200: value/0/properties/statusCode: 202 is not of type 'string'"]
    assert broken(lambda a: None, url=page.url + "&$top=5") == [
        "query parameter '$top' is not declared"]


# --- 3. The subscription's alert rules: what `gatewatch deploy` reads first ---------------------

@pytest.fixture
def rule_exchanges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                   ) -> Iterator[dict[str, list[Exchange]]]:
    """read_subscription_rules over 3 metric, 5 activity log and 3 log search alerts (one with
    a user-assigned identity), pages of 2."""
    with azure_standin(tmp_path, monkeypatch) as (azure, _):
        azure.page_size = 2
        for add, count in ((metric_alert, 3), (activity_log_alert, 5)):
            for i in range(count):
                add(azure, SUB, "rg-a", f"{add.__name__}-{i}")
        log_search_alert(azure, SUB, "rg-a", "log-0")
        log_search_alert(azure, SUB, "rg-a", "log-1", identity=IDENTITY_ID)
        log_search_alert(azure, SUB, "rg-a", "log-2", identity=IDENTITY_ID)
        seen = record(azure, monkeypatch)
        found = read_subscription_rules(SUB)
        assert (found.unread, len(found.rules)) == ([], 11)
        yield {kind: [e for e in seen if e.path.lower().endswith(f"/microsoft.insights/{kind}")]
               for kind in ("metricalerts", "activitylogalerts", "scheduledqueryrules")}


def test_alert_rule_lists_are_the_definitions(rule_exchanges: dict[str, list[Exchange]]) -> None:
    metric, activity = Definition(METRIC_ALERTS), Definition(ACTIVITY_LOG_ALERTS)
    scheduled = Definition(SCHEDULED_QUERY_RULES)
    # What is not judged: common-types parameters and the 2016-03-01 error body, not vendored.
    assert metric.external == {
        "../../../../../common-types/resource-management/v2/types.json#/parameters/"
        "SubscriptionIdParameter",
        "../../../../../common-types/resource-management/v2/types.json#/parameters/"
        "ApiVersionParameter",
        "../../stable/2016-03-01/alertRules_API.json#/definitions/ErrorResponse"}
    assert activity.external == {"v2/types.json#/definitions/systemData"}  # not a schema key
    assert {ref.split("#")[1] for ref in scheduled.external} == {
        "/parameters/SubscriptionIdParameter", "/parameters/ResourceGroupNameParameter",
        "/parameters/ApiVersionParameter", "/definitions/systemData"}
    assert [e.status for e in rule_exchanges["metricalerts"]] == [200]
    assert [e.status for e in rule_exchanges["activitylogalerts"]] == [200, 200, 200]
    assert [e.status for e in rule_exchanges["scheduledqueryrules"]] == [200, 200]
    for definition, kind in ((metric, "metricalerts"), (activity, "activitylogalerts"),
                             (scheduled, "scheduledqueryrules")):
        links = {e.answer.get("nextLink") for e in rule_exchanges[kind]}
        for exchange in rule_exchanges[kind]:
            follows = any(link and link.endswith(exchange.url) for link in links)
            assert definition.judge(exchange, follows_link=follows) == [], exchange.url


def test_a_broken_alert_rule_list_fails(rule_exchanges: dict[str, list[Exchange]]) -> None:
    metric, activity = Definition(METRIC_ALERTS), Definition(ACTIVITY_LOG_ALERTS)

    def broken(definition: Definition, exchange: Exchange, change: Any) -> list[str]:
        answer = copy.deepcopy(exchange.answer)
        change(answer["value"][0])
        return definition.judge(Exchange(**{**exchange.__dict__, "answer": answer}))

    page = rule_exchanges["metricalerts"][0]
    assert broken(metric, page, lambda r: r["properties"].pop("severity")) == [
        "answer 200: value/0/properties: 'severity' is a required property"]
    assert broken(metric, page, lambda r: r["properties"]["criteria"].update(
        {"odata.type": "SingleResource"})) == [
        "answer 200: value/0/properties/criteria/odata.type: 'SingleResource' is not one of "
        "['Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria', "
        "'Microsoft.Azure.Monitor.MultipleResourceMultipleMetricCriteria', "
        "'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria']"]
    assert broken(metric, page, lambda r: r.pop("location")) == [
        "answer 200: value/0: 'location' is a required property"]
    page = rule_exchanges["activitylogalerts"][0]
    assert broken(activity, page, lambda r: r["properties"]["condition"]["allOf"][0].pop(
        "equals")) == [
        "answer 200: value/0/properties/condition/allOf/0: 'equals' is a required property"]
    assert broken(activity, page, lambda r: r["properties"].update(enabled="true")) == [
        "answer 200: value/0/properties/enabled: 'true' is not of type 'boolean'"]
    page = rule_exchanges["scheduledqueryrules"][0]
    scheduled = Definition(SCHEDULED_QUERY_RULES)
    assert broken(scheduled, page, lambda r: r["properties"].update(severity=5)) == [
        "answer 200: value/0/properties/severity: 5 is not one of [0, 1, 2, 3, 4]"]
    assert broken(scheduled, page, lambda r: r.update(kind="LogAlerts")) == [
        "answer 200: value/0/kind: 'LogAlerts' is not one of ['LogAlert', 'LogToMetric']"]
    assert broken(scheduled, rule_exchanges["scheduledqueryrules"][1],
                  lambda r: r["identity"].pop("type")) == [
        "answer 200: value/0/identity: 'type' is a required property"]
