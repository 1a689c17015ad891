"""AWS CloudTrail's LookupEvents over its JSON 1.1 wire protocol (botocore's model:
"protocol": "json", "jsonVersion": "1.1", "targetPrefix":
"com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"), from the API reference
(https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html):

- LookupAttributes: "Currently the list can contain only one item" (more:
  InvalidLookupAttributesException); keys EventName, ResourceName, Username, EventSource,
  ReadOnly, EventId, AccessKeyId, ResourceType.
- StartTime / EndTime: events "after or at" / "before or at"; start after end is
  InvalidTimeRangeException.
- MaxResults: "Possible values are 1 through 50. The default is 50." (else
  InvalidMaxResultsException); NextToken "must be passed in with the same parameters as the
  previous call" (else InvalidNextTokenException). "The events list is sorted by time. The most
  recent event is listed first."
- "The rate of lookup requests is limited to two per second, per account, per Region. If this
  limit is exceeded, a throttling error occurs": a token bucket of 2, refilled at 2 per
  second, answers ThrottlingException past it (`throttled` answers it to every call).
- `denied`: AccessDeniedException, as for an identity without cloudtrail:LookupEvents.

Records are CloudTrail records as "CloudTrail Log Event Reference" shows one
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference.html:
"eventVersion", "userIdentity" {"type": "IAMUser", "principalId": "AIDAJDPLRKLG7UEXAMPLE",
"arn": "arn:aws:iam::123456789012:user/Mary_Major", "accountId", "accessKeyId":
"AKIAIOSFODNN7EXAMPLE", "userName": "Mary_Major"}, "eventTime", "eventSource", "eventName",
"awsRegion", "sourceIPAddress", "userAgent", "requestParameters", "responseElements",
"requestID", "eventID", "readOnly", "eventType": "AwsApiCall", "recipientAccountId").
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from tests.support.standins import httpd

TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
ACCOUNT = "123456789012"
MARY = {"type": "IAMUser", "principalId": "AIDAJDPLRKLG7UEXAMPLE",
        "arn": f"arn:aws:iam::{ACCOUNT}:user/Mary_Major", "accountId": ACCOUNT,
        "accessKeyId": "AKIAIOSFODNN7EXAMPLE", "userName": "Mary_Major"}
# The AWS CLI's user agent shape ("aws-cli/2.x Python/3.x ..."), as CloudTrail records it.
CLI_AGENT = "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.amzn.2 command/ec2.modify-vpn"
KEYS = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName",
        "EventSource", "AccessKeyId")
RATE = 2.0  # requests per second, per account and Region


def vpn_call(event_name: str, at: dt.datetime, vpn_id: str, tunnel_ip: str | None = None,
             identity: dict[str, Any] | None = None, user_agent: str = CLI_AGENT,
             wrapped: bool = True, error: str | None = None,
             region: str = "ap-northeast-1") -> dict[str, Any]:
    """One EC2 VPN call as CloudTrail records it. `wrapped`: requestParameters inside
    `<Action>Request` with the API's own keys (EC2's newer actions); else flat lower-camel."""
    params: dict[str, Any] = ({"VpnConnectionId": vpn_id} if wrapped
                              else {"vpnConnectionId": vpn_id})
    if tunnel_ip is not None:
        params["VpnTunnelOutsideIpAddress" if wrapped else "vpnTunnelOutsideIpAddress"] = \
            tunnel_ip
    record: dict[str, Any] = {
        "eventVersion": "1.09", "userIdentity": identity or MARY,
        "eventTime": at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "ec2.amazonaws.com", "eventName": event_name, "awsRegion": region,
        "sourceIPAddress": "192.0.2.10", "userAgent": user_agent,
        "requestParameters": {f"{event_name}Request": params} if wrapped else params,
        "responseElements": None, "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()), "readOnly": False, "eventType": "AwsApiCall",
        "managementEvent": True, "recipientAccountId": ACCOUNT}
    if error:
        record["errorCode"] = error
        record["errorMessage"] = f"{error} (stand-in)"
    return record


class CloudTrailStandIn:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []
        self.denied = False
        self.throttled = False  # every call answered ThrottlingException
        self._lock = threading.Lock()
        self._bucket = httpd.TokenBucket(RATE, RATE)
        self.throttles = 0

    def _take(self) -> bool:
        with self._lock:
            return self._bucket.take(time.monotonic())

    def _event(self, record: dict[str, Any]) -> dict[str, Any]:
        identity = record.get("userIdentity") or {}
        when = dt.datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00"))
        return {"EventId": record["eventID"], "EventName": record["eventName"],
                "ReadOnly": str(record.get("readOnly", False)).lower(),
                "AccessKeyId": identity.get("accessKeyId", ""), "EventTime": when.timestamp(),
                "EventSource": record["eventSource"],
                "Username": identity.get("userName") or str(identity.get("arn", "")).rsplit(
                    "/", 1)[-1],
                "Resources": [], "CloudTrailEvent": json.dumps(record)}

    def _matches(self, event: dict[str, Any], key: str, value: str) -> bool:
        if key in ("ResourceName", "ResourceType"):
            field = key
            return any(r.get(field) == value for r in event["Resources"])
        return str(event.get(key, "")) == value

    def lookup(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        attributes = body.get("LookupAttributes") or []
        if len(attributes) > 1 or any(a.get("AttributeKey") not in KEYS for a in attributes):
            return 400, {"__type": "InvalidLookupAttributesException",
                         "message": "Currently the list can contain only one item."}
        size = body.get("MaxResults", 50)
        if not 1 <= size <= 50:
            return 400, {"__type": "InvalidMaxResultsException"}
        start, end = body.get("StartTime", 0.0), body.get("EndTime", 4e9)
        if start > end:
            return 400, {"__type": "InvalidTimeRangeException"}
        events = [self._event(r) for r in self.records]
        events = [e for e in events if start <= e["EventTime"] <= end and all(
            self._matches(e, a["AttributeKey"], a["AttributeValue"]) for a in attributes)]
        events.sort(key=lambda e: e["EventTime"], reverse=True)
        key = hashlib.sha256(json.dumps([attributes, start, end, size]).encode()).hexdigest()
        offset = 0
        if body.get("NextToken"):
            token = json.loads(base64.b64decode(body["NextToken"]))
            if token["key"] != key:
                return 400, {"__type": "InvalidNextTokenException"}
            offset = token["offset"]
        page = events[offset:offset + size]
        answer: dict[str, Any] = {"Events": page}
        if offset + size < len(events):
            answer["NextToken"] = base64.b64encode(json.dumps(
                {"key": key, "offset": offset + size}).encode()).decode()
        return 200, answer

    def handle(self, target: str, body: dict[str, Any], auth: str) -> tuple[int, dict[str, Any]]:
        self.calls.append(body)
        if not auth.startswith("AWS4-HMAC-SHA256"):
            return 403, {"__type": "MissingAuthenticationTokenException"}
        if target != TARGET:
            return 400, {"__type": "UnknownOperationException"}
        if self.denied:
            return 400, {"__type": "AccessDeniedException",
                         "message": f"User: arn:aws:iam::{ACCOUNT}:user/triage is not "
                                    "authorized to perform: cloudtrail:LookupEvents"}
        if self.throttled or not self._take():
            self.throttles += 1
            return 400, {"__type": "ThrottlingException", "message": "Rate exceeded"}
        return self.lookup(body)

    @contextlib.contextmanager
    def serve(self) -> Iterator[str]:
        with httpd.serving_json(self.handle) as url:
            yield url
