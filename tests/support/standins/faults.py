"""Endpoints that fail the way a dead or sick service does, at the socket level, so the
product's real clients meet real failures (no mock of a reader):

- `refused_port()`: a port bound but not listening; Linux answers a connect with RST, the
  client sees "connection refused" (as for a host with nothing on the port).
- `silent_port()`: a port that listens (the kernel completes the TCP handshake and queues
  the request) but never reads or answers: the client waits out its read timeout, as for a
  service that hangs behind a load balancer.
The 5xx answers live in each stand-in (`HealthStandIn.unavailable`,
`AzureStandIn.unavailable`), since they speak the service's error format.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator


@contextlib.contextmanager
def refused_port(scheme: str = "http") -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))  # held, so no other test takes the port meanwhile
        yield f"{scheme}://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


@contextlib.contextmanager
def silent_port(scheme: str = "http") -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)  # never accept()ed: connections wait in the backlog, unanswered
        yield f"{scheme}://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()
