"""Which addresses a webhook may reach (spec 16's SSRF rules).

A customer's endpoint must not make the server call its own network: loopback, private,
link-local (cloud metadata lives there) and other non-public addresses are refused, unless
`WEBHOOK_ALLOW_PRIVATE_NETWORKS=1`. A URL whose host is such an address is refused when the
endpoint is created; a host name is resolved at every attempt and refused if any address it
resolves to is such, and the connection then goes to the address that was checked (a second
resolution could answer differently).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


def is_forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def literal_address(host: str):
    """The IP address `host` spells, or None when it is a name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def url_host_is_forbidden(url: str) -> bool:
    """Create-time check: the URL's host is a literal forbidden address."""
    if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        return False
    address = literal_address(urlsplit(url).hostname or "")
    return address is not None and is_forbidden(address)


class AddressNotAllowed(Exception):
    pass


def resolve_allowed(host: str, port: int) -> str:
    """The address to connect to for `host`: refused (`AddressNotAllowed`) when any address
    it resolves to is forbidden; `OSError` when it does not resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        refused = [str(address) for address in addresses if is_forbidden(address)]
        if refused:
            raise AddressNotAllowed(f"{host} resolves to a non-public address ({refused[0]}).")
    return str(addresses[0])
