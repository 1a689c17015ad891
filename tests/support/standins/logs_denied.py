"""A CloudWatch Logs endpoint for an identity allowed to find the kit's log group but not to
keep the rollout journal in it: DescribeLogGroups answers the group, every other action is
refused with AccessDeniedException, over the service's JSON 1.1 protocol (`X-Amz-Target:
Logs_20140328.<Action>`, botocore's logs service model `protocol: json`; error body
`{"__type": ..., "message": ...}` with HTTP 400, "Common Errors" of the CloudWatch Logs API
reference, https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/CommonErrors.html).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from tests.support.standins import httpd


@contextlib.contextmanager
def logs_denying_the_journal(group_name: str) -> Iterator[tuple[str, list[str]]]:
    """Serve it on 127.0.0.1; yields the endpoint URL and the actions called, in order."""
    called: list[str] = []

    def handle(target: str, request: dict[str, Any], auth: str) -> tuple[int, dict[str, Any]]:
        action = target.rpartition(".")[2]
        called.append(action)
        if action == "DescribeLogGroups":
            prefix = request.get("logGroupNamePrefix", "")
            groups = [{"logGroupName": group_name}] if group_name.startswith(prefix) else []
            return 200, {"logGroups": groups}
        return 400, {"__type": "AccessDeniedException",
                     "message": f"User is not authorized to perform: logs:{action}"}

    with httpd.serving_json(handle, name="logs-denied") as url:
        yield url, called
