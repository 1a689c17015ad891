"""What every stand-in's HTTP server shares: the request body, the reply, the serving thread,
and the token bucket a throttled service answers from."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# An AWS JSON 1.1 service: (X-Amz-Target, request body, Authorization) -> (status, answer).
JsonHandler = Callable[[str, dict[str, Any], str], tuple[int, dict[str, Any]]]


@dataclass
class TokenBucket:
    """A service-side token bucket: `capacity` burst, `refill` tokens per second; full at the
    first `take`."""

    capacity: float
    refill: float
    tokens: float = -1.0
    stamp: float = 0.0

    def take(self, now: float) -> bool:
        if self.tokens < 0:
            self.tokens, self.stamp = self.capacity, now
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.refill)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class Handler(BaseHTTPRequestHandler):
    """A request handler that reads the body, replies with bytes and logs nothing."""

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(length) if length else b""

    def reply(self, status: int, data: bytes, content_type: str,
              headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test and CLI output clean


@contextlib.contextmanager
def serving(server: ThreadingHTTPServer, scheme: str = "http",
            name: str | None = None) -> Iterator[str]:
    """Serve `server` in a thread; yields its URL; shuts it down after."""
    # A short poll interval: shutdown() waits up to one interval (0.5 s by default), per server.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              name=name, daemon=True)
    thread.start()
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def serving_json(handle: JsonHandler, name: str | None = None) -> Iterator[str]:
    """Serve an AWS JSON 1.1 protocol service (POST, X-Amz-Target names the operation, the
    answer is `application/x-amz-json-1.1`, errors carry `__type`); yields its URL."""

    class JsonRequestHandler(Handler):
        protocol_version = "HTTP/1.1"  # keep-alive, as AWS endpoints do
        disable_nagle_algorithm = True  # else every reply waits out a delayed ACK

        def do_POST(self) -> None:
            body = json.loads(self.body() or b"{}")
            status, answer = handle(self.headers.get("X-Amz-Target", ""), body,
                                    self.headers.get("Authorization", ""))
            self.reply(status, json.dumps(answer).encode(), "application/x-amz-json-1.1")

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), JsonRequestHandler), name=name) as url:
        yield url
