"""AWS Health (JSON 1.1 protocol, X-Amz-Target AWSHealth_20160804.*): the two reads triage
makes. Filters honoured: services, eventTypeCategories, startTimes (from/to) for
DescribeEvents; eventArns for DescribeAffectedEntities. Requests without a SigV4
Authorization header are refused, as AWS would."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.support.standins import httpd

PREFIX = "AWSHealth_20160804."


@dataclass
class HealthEvent:
    arn: str
    service: str
    event_type_code: str
    category: str
    start: dt.datetime
    entities: tuple[str, ...]
    region: str = "ap-northeast-1"


class HealthStandIn:
    def __init__(self) -> None:
        self.events: list[HealthEvent] = []
        self.calls: list[str] = []
        self.subscription_required = False
        self.unavailable = False  # every call answered 503 ServiceUnavailableException

    def _describe_events(self, body: dict[str, Any]) -> dict[str, Any]:
        flt = body.get("filter") or {}
        out = []
        for event in self.events:
            if flt.get("services") and event.service not in flt["services"]:
                continue
            if flt.get("eventTypeCategories") and event.category not in flt[
                    "eventTypeCategories"]:
                continue
            ranges = flt.get("startTimes") or []
            t = event.start.timestamp()
            if ranges and not any(r.get("from", 0) <= t <= r.get("to", 1e12) for r in ranges):
                continue
            out.append({"arn": event.arn, "service": event.service,
                        "eventTypeCode": event.event_type_code,
                        "eventTypeCategory": event.category, "region": event.region,
                        "startTime": t, "lastUpdatedTime": t, "statusCode": "closed",
                        "eventScopeCode": "ACCOUNT_SPECIFIC"})
        return {"events": out}

    def _describe_entities(self, body: dict[str, Any]) -> dict[str, Any]:
        arns = (body.get("filter") or {}).get("eventArns") or []
        out = [{"entityArn": f"{e.arn}/entity/{v}", "eventArn": e.arn, "entityValue": v,
                "awsAccountId": "123456789012", "statusCode": "IMPAIRED"}
               for e in self.events if e.arn in arns for v in e.entities]
        return {"entities": out}

    def handle(self, target: str, body: dict[str, Any], auth: str) -> tuple[int, dict[str, Any]]:
        self.calls.append(target)
        if not auth.startswith("AWS4-HMAC-SHA256"):
            return 403, {"__type": "MissingAuthenticationTokenException"}
        if self.unavailable:
            return 503, {"__type": "ServiceUnavailableException",
                         "message": "The service is unavailable. Try again later."}
        if self.subscription_required:
            return 400, {"__type": "SubscriptionRequiredException",
                         "message": "The requested AWS Health API requires a support plan."}
        if target == PREFIX + "DescribeEvents":
            return 200, self._describe_events(body)
        if target == PREFIX + "DescribeAffectedEntities":
            return 200, self._describe_entities(body)
        return 400, {"__type": "UnknownOperationException"}

    @contextlib.contextmanager
    def serve(self) -> Iterator[str]:
        with httpd.serving_json(self.handle) as url:
            yield url
