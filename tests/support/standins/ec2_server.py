"""The EC2 stand-in's two transports, both carrying the EC2 Query protocol (form-encoded
parameters in, XML out) to one `handle(params) -> (status, body)`:

- in-process: botocore emits `before-send` with the signed request; a non-None response there
  is used instead of the network, then parsed by botocore's EC2 parser as usual (botocore,
  "Event System": https://botocore.amazonaws.com/v1/documentation/api/latest/topics/events.html);
- HTTP: http.server on 127.0.0.1, whose URL a client takes as `endpoint_url`.

Each request also carries the region it is signed for: the region of the credential scope in
its Signature Version 4 `Authorization` header ("Elements of an AWS API request signature",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-signing-elements.html; moto's
server picks the region of a request the same way), so one stand-in can play every regional
endpoint the way `AWS_ENDPOINT_URL_EC2` points all of a client's regions at it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.client import BaseClient

from tests.support.standins import httpd

# One EC2 Query request's parameters and signed region -> (HTTP status, XML body).
Handle = Callable[[Mapping[str, str], str | None], tuple[int, bytes]]
XML = "text/xml;charset=UTF-8"
_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/(?P<region>[a-z0-9-]+)/ec2/aws4_request")


def signed_region(authorization: str | bytes | None) -> str | None:
    """The region of a SigV4 Authorization header's credential scope, None without one."""
    text = authorization.decode() if isinstance(authorization, bytes) else authorization or ""
    match = _SCOPE.search(text)
    return match["region"] if match else None


def attach(client: BaseClient, handle: Handle) -> BaseClient:
    """Answer this boto3 EC2 client's requests in-process with `handle`; returns the client."""
    def before_send(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        status, body = handle(_params_of(request), signed_region(request.headers.get(
            "Authorization")))
        headers = {"Content-Type": XML, "Content-Length": str(len(body))}
        return AWSResponse(request.url, status, headers, _RawBody(body))

    client.meta.events.register("before-send.ec2", before_send)
    return client


@contextlib.contextmanager
def serve(handle: Handle, port: int = 0) -> Iterator[str]:
    """Serve `handle` on http://127.0.0.1:PORT in a thread; yields the endpoint URL."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(handle))
    with httpd.serving(server, name="ec2-standin") as url:
        yield url


class _RawBody:
    """The `raw` object botocore reads an AWSResponse body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _params_of(request: AWSPreparedRequest) -> dict[str, str]:
    body = request.body or b""
    if hasattr(body, "read"):
        body = body.read()
    text = body.decode() if isinstance(body, bytes) else str(body)
    params = dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))
    params.update(parse_qsl(text, keep_blank_values=True))
    return params


def _handler_for(handle: Handle) -> type[BaseHTTPRequestHandler]:
    class Handler(httpd.Handler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else every response waits out a delayed ACK

        def do_POST(self) -> None:
            params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
            params.update(parse_qsl(self.body().decode(), keep_blank_values=True))
            self._answer(*handle(params, signed_region(self.headers.get("Authorization"))))

        def do_GET(self) -> None:
            self._answer(*handle(dict(parse_qsl(urlsplit(self.path).query)),
                                 signed_region(self.headers.get("Authorization"))))

        def _answer(self, status: int, body: bytes) -> None:
            self.reply(status, body, XML)

    return Handler
