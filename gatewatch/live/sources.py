"""One boundary per source that `doctor` and `triage` read: a failed read becomes a named
finding (`Failure`), never a lost report.

The sources: Azure Resource Manager (ARM: the workspace, gateways, diagnostic settings,
alert rules, role assignments), the Azure Activity log (an ARM read of its own: a reader may
be refused it alone), Log Analytics (the kit's queries), and on AWS EC2,
CloudWatch Logs, CloudWatch, EventBridge, AWS Health and CloudTrail. `Sources.call(source,
read)` runs one read of one source:

- the source cannot be reached (connection refused, no answer within the timeout, a 5xx, a
  throttle): the source is marked down, `SourceDown` is raised, and every later read of it
  raises at once, so a hanging source costs its timeout once per run, not once per read;
- the read is refused (HTTP 401/403, AWS AccessDenied...): `SourceDown` for this read only
  (the source answers; another resource may be readable), naming the role to grant;
- the resource does not exist (HTTP 404, an AWS *NotFound* code): the SDK's own error
  propagates, because "not there" is what the caller checks for (MISSING, a note);
- anything else (a bug) propagates.

Every client is built with connect and read timeouts and bounded retries (the constants
below, used by gatewatch/live/azure.py and aws.py): azure-core's `connection_timeout`,
`read_timeout` and `retry_total` ("Azure Core shared client library for Python", transport
and retry keyword arguments, https://learn.microsoft.com/python/api/overview/azure/core-
readme); botocore's `Config(connect_timeout, read_timeout, retries)` ("Config Reference",
https://botocore.amazonaws.com/v1/documentation/api/latest/reference/config.html; "Retries",
https://boto3.amazonaws.com/v1/documentation/api/latest/guide/retries.html).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")

ARM = "ARM"
LOG_ANALYTICS = "Log Analytics"
ACTIVITY_LOG = "Activity log"
EC2 = "EC2"
CLOUDWATCH_LOGS = "CloudWatch Logs"
CLOUDWATCH = "CloudWatch"
EVENTBRIDGE = "EventBridge"
AWS_HEALTH = "AWS Health"
CLOUDTRAIL = "CloudTrail"

# Seconds. A TCP connect on a working path takes milliseconds; ARM and the AWS read APIs
# answer a GET/Describe in well under a second. A Log Analytics query may legitimately run
# for seconds over 30 days of a busy workspace, so it gets longer and is not retried on a
# read timeout (a query that did not answer once will not answer the second time).
CONNECT_TIMEOUT = 3
ARM_READ_TIMEOUT = 10
LOGS_READ_TIMEOUT = 30
AWS_READ_TIMEOUT = 5
# One retry: a transient blip is absorbed, a dead source is given up on after two attempts.
AZURE_RETRY_TOTAL = 1
AWS_MAX_ATTEMPTS = 2

# The Activity log is served by ARM (Activity Logs - List), through the same client settings.
READ_TIMEOUTS = {ARM: ARM_READ_TIMEOUT, ACTIVITY_LOG: ARM_READ_TIMEOUT,
                 LOG_ANALYTICS: LOGS_READ_TIMEOUT}

_AZURE_ROLE = ("the signed-in identity needs Reader on the gateways, the workspace and the "
               "kit's resource group (`az login` as one that has it)")
# "Microsoft.Insights/eventtypes/values/Read: List Activity Log events (management events) in a
# subscription" ("Roles, permissions, and security in Azure Monitor",
# https://learn.microsoft.com/azure/azure-monitor/roles-permissions-security); Reader and
# Monitoring Reader include it.
_ACTIVITY_ROLE = ("the signed-in identity needs Microsoft.Insights/eventtypes/values/read in "
                  "the gateway's subscription (Reader or Monitoring Reader have it; `az login` "
                  "as one that has it)")
_AWS_ROLE = ("use a profile allowed to read EC2 VPN, CloudWatch Logs, CloudWatch, "
             "EventBridge, AWS Health and CloudTrail (cloudtrail:LookupEvents) (AWS_PROFILE, "
             "`aws configure`)")

_THROTTLED = ("Throttling", "ThrottlingException", "TooManyRequestsException",
              "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException")
_SUPPORT_PLAN = ("the AWS Health API needs a Business, Enterprise On-Ramp or Enterprise "
                 "support plan")
_REJECTED = "the service rejected this one read: run again, and report it with --json if it stays"


@dataclass(frozen=True)
class Failure:
    """Why one source (or one read of it) gave no answer, and what to do."""

    source: str
    reason: str  # "connection refused to https://...", "no answer within 5 s from ..."
    fix: str
    refused: bool = False  # the read was refused; the source itself answers

    def __str__(self) -> str:
        return f"{self.source} {self.reason}"


class SourceDown(Exception):
    def __init__(self, failure: Failure):
        super().__init__(str(failure))
        self.failure = failure


@dataclass
class Sources:
    """The sources of one run: which are down, and why (first failure wins)."""

    down: dict[str, Failure] = field(default_factory=dict)

    def call(self, source: str, read: Callable[[], T]) -> T:
        if source in self.down:
            raise SourceDown(self.down[source])
        try:
            return read()
        except Exception as error:
            failure = classify(source, error)
            if failure is None:
                raise
            if not failure.refused:
                self.down[source] = failure
            raise SourceDown(failure) from None


def _endpoint(source: str) -> str:
    from gatewatch.live.azure import arm_endpoint, logs_endpoint

    if source in (ARM, ACTIVITY_LOG):
        return arm_endpoint()
    if source == LOG_ANALYTICS:
        return logs_endpoint()
    return ""


def _waited(message: str, default: float) -> str:
    """The timeout that expired, as urllib3 words it ("Read timed out. (read timeout=3)"):
    over TLS the handshake runs under the connect timeout, so it may not be the read one."""
    match = re.search(r"read timeout=(\d+(?:\.\d+)?)", message)
    value = float(match.group(1)) if match else float(default)
    return f"{value:g}"


def _unreachable(source: str, reason: str) -> Failure:
    return Failure(source, reason, "check the network path to it (proxy, firewall, private "
                   "endpoint, the GATEWATCH_*/AWS_ENDPOINT_URL_* override) and run again")


def _server_error(source: str, reason: str) -> Failure:
    return Failure(source, reason, "the service failed or throttled this read: run again "
                   "in a few minutes, and check the cloud's status page")


def classify(source: str, error: BaseException) -> Failure | None:
    """The Failure an SDK error means for `source`; None when it is not a source failure."""
    azure = _classify_azure(source, error)
    return azure if azure is not None else _classify_aws(source, error)


def _classify_azure(source: str, error: BaseException) -> Failure | None:
    from azure.core.exceptions import (
        HttpResponseError,
        ServiceRequestError,
        ServiceRequestTimeoutError,
        ServiceResponseError,
        ServiceResponseTimeoutError,
    )

    url = _endpoint(source)
    read_timeout = READ_TIMEOUTS.get(source, ARM_READ_TIMEOUT)
    if isinstance(error, ServiceRequestTimeoutError):
        return _unreachable(source, f"no connection within {CONNECT_TIMEOUT} s to {url}")
    if isinstance(error, ServiceResponseTimeoutError):
        waited = _waited(str(error), read_timeout)
        return _unreachable(source, f"no answer within {waited} s from {url}")
    if isinstance(error, ServiceRequestError):
        text = str(error)
        if "refused" in text.lower():
            return _unreachable(source, f"connection refused to {url}")
        if "timed out" in text.lower():
            waited = _waited(text, CONNECT_TIMEOUT)
            return _unreachable(source, f"no answer within {waited} s from {url}")
        return _unreachable(source, f"could not connect to {url} ({type(error).__name__})")
    if isinstance(error, ServiceResponseError):
        return _unreachable(source, f"connection to {url} dropped ({type(error).__name__})")
    if isinstance(error, HttpResponseError):
        status = error.status_code or 0
        code = getattr(error.error, "code", None) or error.reason or "error"
        if status == 404:
            return None
        if status in (401, 403):
            role = _ACTIVITY_ROLE if source == ACTIVITY_LOG else _AZURE_ROLE
            return Failure(source, f"refused the read ({status} {code})", role, True)
        if status >= 500 or status == 429:
            return _server_error(source, f"answered {status} {code} from {url}")
        return Failure(source, f"rejected the read ({status} {code})", _REJECTED, True)
    if isinstance(error, RuntimeError) and str(error).startswith("Log Analytics query failed"):
        return _server_error(source, str(error)[len("Log Analytics "):])
    return None


def _classify_aws(source: str, error: BaseException) -> Failure | None:
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    from gatewatch.aws.login import DENIED_CODES, EXPIRED_CODES, REJECTED_CODES

    if isinstance(error, ConnectTimeoutError | ReadTimeoutError | ConnectionClosedError |
                  EndpointConnectionError):
        url = str(error.kwargs.get("endpoint_url") or "")
        if isinstance(error, ConnectTimeoutError):
            return _unreachable(source, f"no connection within {CONNECT_TIMEOUT} s to {url}")
        if isinstance(error, ReadTimeoutError):
            waited = _waited(str(error.kwargs.get("error") or ""), AWS_READ_TIMEOUT)
            return _unreachable(source, f"no answer within {waited} s from {url}")
        if isinstance(error, ConnectionClosedError):
            return _unreachable(source, f"connection to {url} closed without an answer")
        cause = str(error.kwargs.get("error") or "")
        if "refused" in cause.lower():
            return _unreachable(source, f"connection refused to {url}")
        return _unreachable(source, f"could not connect to {url}")
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", "error"))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        operation = getattr(error, "operation_name", "a call")
        if code.endswith(("NotFound", "NotFoundException")) or status == 404:
            return None
        # What the identity may not do, and a key refused mid-run (the reader's after-call hook
        # raises AwsLoginError for those first; a client without the hook is still judged).
        if code in DENIED_CODES | REJECTED_CODES | EXPIRED_CODES or status in (401, 403):
            return Failure(source, f"refused {operation} ({code})", _AWS_ROLE, True)
        if status >= 500 or code in _THROTTLED:
            return _server_error(source, f"answered {operation} with {status} {code}")
        if code == "SubscriptionRequiredException":
            return Failure(source, f"refused {operation} ({code})", _SUPPORT_PLAN, True)
        return Failure(source, f"rejected {operation} ({code})", _REJECTED, True)
    return None
