"""Which EC2 errors are worth retrying, and the backoff between tries.

The engine retries itself, through the injected clock, instead of relying on botocore's retry
handler: botocore sleeps with `time.sleep`, which a simulated clock cannot see, and the engine
must re-read the connection before repeating a ModifyVpnTunnelOptions (the first call may have
gone through). Clients the engine builds therefore have botocore retries switched off.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

THROTTLING_CODES = frozenset({
    "RequestLimitExceeded",
    "Throttling",
    "ThrottlingException",
    "RequestThrottled",
})
TRANSIENT_CODES = frozenset({
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "Unavailable",
    # EC2's answer while another modification of the connection is still being applied.
    "IncorrectState",
})


def error_code(exc: BaseException) -> str | None:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "")) or None
    return None


def is_connect_error(exc: BaseException) -> bool:
    """The endpoint could not be reached at all: DNS failure, connection refused, connect
    timeout (botocore's ConnectTimeoutError is a sibling of EndpointConnectionError, both
    botocore ConnectionErrors, not one of the other)."""
    return isinstance(exc, EndpointConnectionError | ConnectTimeoutError)


MAX_MESSAGE = 200


def _short(text: str) -> str:
    """One line, at most MAX_MESSAGE characters; a markup body (a web server that is not EC2
    answering) is named as such instead of being printed."""
    if re.search(r"<\s*(!doctype|html|head|body)\b", text, re.IGNORECASE):
        return ("the endpoint answered with an HTML page, not an EC2 response; check "
                "--endpoint-url / the region")
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_MESSAGE else flat[:MAX_MESSAGE - 3] + "..."


def describe_error(exc: BaseException) -> str:
    """`Code: message` for a service error, `ExceptionType: text` otherwise: one short line."""
    if isinstance(exc, ClientError):
        message = _short(str(exc.response.get("Error", {}).get("Message", "")))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = error_code(exc) or "ClientError"
        if code.isdigit() or not message:  # not an EC2 error document at all
            return f"HTTP {status or code} from the endpoint: {message or 'no EC2 error'}"
        return f"{code}: {message}"
    return f"{type(exc).__name__}: {_short(str(exc))}"


def is_retryable(exc: BaseException) -> bool:
    """Throttling, 5xx, IncorrectState and dropped connections; never a 4xx about the input."""
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError, ConnectionClosedError,
                        ReadTimeoutError)):
        return True
    if not isinstance(exc, ClientError):
        return False
    code = error_code(exc) or ""
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return code in THROTTLING_CODES or code in TRANSIENT_CODES or status >= 500


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with jitter (half to full delay), like the AWS SDKs'.

    Jitter spreads fifty connections that were throttled together so they do not all come
    back in the same second.
    """

    base: float = 1.0
    cap: float = 30.0
    max_attempts: int = 8
    # Tries when the endpoint cannot be reached at all (see is_connect_error): a wrong
    # --endpoint-url or a dead network is reported in seconds, not after minutes of backoff.
    connect_attempts: int = 3

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        return ceiling * (0.5 + 0.5 * (rng or random).random())
