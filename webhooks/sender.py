"""One webhook POST: to the address that passed the SSRF check, 10 s at most, no redirects."""

import http.client
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from webhooks.addresses import resolve_allowed

TIMEOUT_SECONDS = 10


@dataclass
class Answer:
    status: int


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to `address` while speaking HTTP to `host` (Host header)."""

    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above, with TLS verified for `host` (certificate and SNI)."""

    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict) -> Answer:
    """POST `body`; the answer's status. Raises `AddressNotAllowed` or `OSError`."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    address = resolve_allowed(parts.hostname, port)
    connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    connection = connection_class(parts.hostname, port, address, timeout=TIMEOUT_SECONDS)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)  # the receiver's body is not kept
        return Answer(status=response.status)
    finally:
        connection.close()
