"""Which EC2 errors are worth retrying, and the backoff between tries.

The engine retries itself, through the injected clock, instead of relying on botocore's retry
handler: botocore sleeps with `time.sleep`, which a simulated clock cannot see, and the engine
must re-read the connection before repeating a ModifyVpnTunnelOptions (the first call may have
gone through). Clients the engine builds therefore have botocore retries switched off.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
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
    timeout (botocore's ConnectTimeoutError is an EndpointConnectionError too)."""
    return isinstance(exc, EndpointConnectionError)


def describe_error(exc: BaseException) -> str:
    """`Code: message` for a service error, `ExceptionType: text` otherwise (one line)."""
    if isinstance(exc, ClientError):
        message = exc.response.get("Error", {}).get("Message", "")
        return f"{error_code(exc) or 'ClientError'}: {message}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"


def is_retryable(exc: BaseException) -> bool:
    """Throttling, 5xx, IncorrectState and dropped connections; never a 4xx about the input."""
    if isinstance(exc, (EndpointConnectionError, ConnectionClosedError, ReadTimeoutError)):
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
