"""The SSRF guard for callback URLs. A URL passes only if every address its host resolves
to is a public unicast address (loopback too, in local mode). Checked at submit and again
at delivery, where the webhook adapter also pins the connection to the checked address."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from videohook.errors import CallbackHostUnresolvable, CallbackUrlRejected

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

# The ports webhook receivers listen on. Any port would let a client aim signed POSTs at any
# service of a public host (redeliver makes that repeatable).
DEFAULT_CALLBACK_PORTS = (443, 8443)

# Not all of these are caught by ``is_global`` on every Python release.
EXTRA_BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in ("100.64.0.0/10", "169.254.0.0/16", "fe80::/10", "fc00::/7", "192.0.0.0/24", "64:ff9b::/96")
)


def check_callback_url_form(
    url: str, *, local_mode: bool, ports: tuple[int, ...] = DEFAULT_CALLBACK_PORTS
) -> None:
    """The part of the check that needs no DNS: scheme, host, port, no credentials. Raises
    ``ValueError`` naming what is wrong."""
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain credentials")
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise ValueError("has an invalid port") from None
    if not parts.hostname:
        raise ValueError("must be an absolute URL with a host")
    local_receiver = local_mode and _is_loopback_name(parts.hostname)
    if parts.scheme == "https" and not local_receiver and (parts.port or 443) not in ports:
        raise ValueError(f"must use port {' or '.join(map(str, ports))}")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and local_receiver:
        return
    if parts.scheme == "http" and local_mode:
        raise ValueError("plain http is accepted only for loopback receivers in local mode")
    raise ValueError("must use https")


def _is_loopback_name(host: str) -> bool:
    """``localhost`` or a loopback IP literal; never a DNS name that merely looks like one."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_addresses(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_forbidden_address(address: IPAddress, *, allow_loopback: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return not allow_loopback
    return (
        not address.is_global
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or any(address in network for network in EXTRA_BLOCKED_NETWORKS)
    )


class CallbackUrlGuard:
    def __init__(
        self,
        *,
        local_mode: bool,
        resolver: Resolver = resolve_addresses,
        ports: tuple[int, ...] = DEFAULT_CALLBACK_PORTS,
    ) -> None:
        self._local_mode = local_mode
        self._resolve = resolver
        self._ports = ports

    @property
    def allows_loopback(self) -> bool:
        return self._local_mode

    def check_form(self, url: str) -> None:
        """The DNS-free part of ``check``, for request validation; raises ``ValueError``."""
        check_callback_url_form(url, local_mode=self._local_mode, ports=self._ports)

    def check(self, url: str) -> list[str]:
        """The host's addresses, every one of them allowed; or ``CallbackUrlRejected`` naming
        the reason. Deliveries connect to one of these, never resolving again."""
        try:
            self.check_form(url)
        except ValueError as exc:
            raise CallbackUrlRejected(f"callback_url {exc}", details=[_detail(str(exc))]) from None
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            found = [host] if _is_ip_literal(host) else self._resolve(host, port)
        except (OSError, UnicodeError):
            found = []
        if not found:
            reason = f"host {host!r} does not resolve"
            raise CallbackHostUnresolvable(f"callback_url {reason}", details=[_detail(reason)])
        addresses = [ipaddress.ip_address(text.split("%")[0]) for text in found]
        if any(is_forbidden_address(a, allow_loopback=self._local_mode) for a in addresses):
            reason = "resolves to a loopback, private, link-local or reserved address"
            raise CallbackUrlRejected(f"callback_url {reason}", details=[_detail(reason)])
        return [str(address) for address in addresses]


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _detail(reason: str) -> dict[str, str]:
    return {"field": "callback_url", "reason": reason}
