"""A CloudWatch Logs endpoint for an identity allowed to find the kit's log group but not to
keep the rollout journal in it: DescribeLogGroups answers the group, every other action is
refused with AccessDeniedException, over the service's JSON 1.1 protocol (`X-Amz-Target:
Logs_20140328.<Action>`, botocore's logs service model `protocol: json`; error body
`{"__type": ..., "message": ...}` with HTTP 400, "Common Errors" of the CloudWatch Logs API
reference, https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/CommonErrors.html).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

from tests.support.standins import httpd

JSON = "application/x-amz-json-1.1"


@contextlib.contextmanager
def logs_denying_the_journal(group_name: str) -> Iterator[tuple[str, list[str]]]:
    """Serve it on 127.0.0.1; yields the endpoint URL and the actions called, in order."""
    called: list[str] = []

    class Handler(httpd.Handler):
        def do_POST(self) -> None:
            action = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
            request = json.loads(self.body() or b"{}")
            called.append(action)
            if action == "DescribeLogGroups":
                prefix = request.get("logGroupNamePrefix", "")
                groups = [{"logGroupName": group_name}] if group_name.startswith(prefix) else []
                self.reply(200, json.dumps({"logGroups": groups}).encode(), JSON)
                return
            body = {"__type": "AccessDeniedException",
                    "message": f"User is not authorized to perform: logs:{action}"}
            self.reply(400, json.dumps(body).encode(), JSON)

    with httpd.serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler),
                       name="logs-denied") as url:
        yield url, called
