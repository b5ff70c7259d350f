"""The SSRF guard: a callback host passes only if every address it resolves to is public
(loopback too, but only in local mode). DNS is a fake; IP literals never reach it."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from videohook.callback_guard import CallbackUrlGuard, is_forbidden_address
from videohook.errors import CallbackUrlRejected

PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"

FORBIDDEN = [
    "127.0.0.1",
    "127.8.9.10",
    "::1",
    "10.0.0.1",
    "10.255.255.254",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "100.64.0.1",
    "100.127.255.254",
    "169.254.169.254",
    "169.254.0.1",
    "fd00:ec2::254",
    "fe80::1",
    "fc00::1",
    "::ffff:10.0.0.1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "0.0.0.0",
    "::",
    "224.0.0.1",
    "ff02::1",
    "240.0.0.1",
    "255.255.255.255",
]


class FakeDns:
    """A resolver with a fixed table that records every lookup it answers."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self._table = table
        self.lookups: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append((host, port))
        if host not in self._table:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} does not resolve")
        return self._table[host]


def dns_must_not_be_used(host: str, port: int) -> list[str]:
    raise AssertionError(f"the resolver was asked about {host}:{port}")


def url_for(address: str, *, scheme: str = "https") -> str:
    host = f"[{address}]" if ":" in address else address
    return f"{scheme}://{host}/hook"


def assert_refused(guard: CallbackUrlGuard, url: str) -> CallbackUrlRejected:
    with pytest.raises(CallbackUrlRejected) as refused:
        guard.check(url)
    assert [d["field"] for d in refused.value.details] == ["callback_url"]
    return refused.value


@pytest.mark.parametrize("address", FORBIDDEN)
def test_a_host_resolving_to_a_non_public_address_is_refused(address):
    # Given a DNS name that points at an internal address
    dns = FakeDns({"hooks.example.com": [address]})
    guard = CallbackUrlGuard(local_mode=False, resolver=dns)

    # When / Then the URL is refused after one lookup
    rejection = assert_refused(guard, "https://hooks.example.com/hook")
    assert dns.lookups == [("hooks.example.com", 443)]
    assert "loopback, private, link-local or reserved" in rejection.message


@pytest.mark.parametrize("address", FORBIDDEN)
def test_an_ip_literal_host_is_checked_without_asking_the_resolver(address):
    guard = CallbackUrlGuard(local_mode=False, resolver=dns_must_not_be_used)

    assert_refused(guard, url_for(address))


@pytest.mark.parametrize("public", [PUBLIC_V4, PUBLIC_V6])
def test_a_public_ip_literal_is_accepted_without_asking_the_resolver(public):
    guard = CallbackUrlGuard(local_mode=False, resolver=dns_must_not_be_used)

    guard.check(url_for(public))


def test_one_private_address_among_public_ones_is_enough_to_refuse():
    # Given a name whose answer mixes public addresses with one internal one
    dns = FakeDns({"hooks.example.com": [PUBLIC_V4, "10.0.0.7", "93.184.215.15", PUBLIC_V6]})
    guard = CallbackUrlGuard(local_mode=False, resolver=dns)

    assert_refused(guard, "https://hooks.example.com/hook")


def test_a_host_resolving_only_to_public_addresses_is_accepted():
    dns = FakeDns({"hooks.example.com": [PUBLIC_V4, PUBLIC_V6]})
    guard = CallbackUrlGuard(local_mode=False, resolver=dns)

    guard.check("https://hooks.example.com:8443/hook")

    assert dns.lookups == [("hooks.example.com", 8443)]


def test_an_unresolvable_host_is_refused():
    guard = CallbackUrlGuard(local_mode=False, resolver=FakeDns({}))

    rejection = assert_refused(guard, "https://nowhere.example.com/hook")

    assert "does not resolve" in rejection.message


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "http://localhost:8080/hook", "http://[::1]:8080/hook"]
)
def test_local_mode_allows_plain_http_to_loopback(url):
    guard = CallbackUrlGuard(local_mode=True, resolver=FakeDns({"localhost": ["127.0.0.1", "::1"]}))

    guard.check(url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "https://127.0.0.1:8443/hook", "https://localhost/hook"]
)
def test_outside_local_mode_loopback_is_refused_whatever_the_scheme(url):
    # Lambda's Runtime API listens on loopback: it must stay unreachable in AWS.
    guard = CallbackUrlGuard(local_mode=False, resolver=FakeDns({"localhost": ["127.0.0.1"]}))

    assert_refused(guard, url)


@pytest.mark.parametrize("address", ["10.0.0.1", "169.254.169.254", "192.168.1.1", "fe80::1"])
def test_local_mode_relaxes_loopback_only_not_private_addresses(address):
    guard = CallbackUrlGuard(local_mode=True, resolver=FakeDns({"hooks.example.com": [address]}))

    assert_refused(guard, "https://hooks.example.com/hook")


@pytest.mark.parametrize("local_mode", [False, True])
def test_plain_http_to_a_public_host_is_refused_in_both_modes(local_mode):
    dns = FakeDns({"hooks.example.com": [PUBLIC_V4]})
    guard = CallbackUrlGuard(local_mode=local_mode, resolver=dns)

    assert_refused(guard, "http://hooks.example.com/hook")
    assert dns.lookups == []


def test_a_url_with_credentials_is_refused_before_any_lookup():
    dns = FakeDns({"hooks.example.com": [PUBLIC_V4]})
    guard = CallbackUrlGuard(local_mode=False, resolver=dns)

    assert_refused(guard, "https://user:pw@hooks.example.com/hook")
    assert dns.lookups == []


@pytest.mark.parametrize(
    "url", ["https://hooks.example.com:99999/hook", "https://hooks.example.com:http/hook"]
)
def test_a_url_with_an_invalid_port_is_refused_as_a_callback_rejection(url):
    # An invalid port is bad client input: it must be a 400, never an unexpected ValueError.
    guard = CallbackUrlGuard(local_mode=False, resolver=FakeDns({"hooks.example.com": [PUBLIC_V4]}))

    assert_refused(guard, url)


def test_allows_loopback_reflects_local_mode():
    assert CallbackUrlGuard(local_mode=True, resolver=dns_must_not_be_used).allows_loopback is True
    assert CallbackUrlGuard(local_mode=False, resolver=dns_must_not_be_used).allows_loopback is False


@pytest.mark.parametrize(
    ("address", "allow_loopback", "forbidden"),
    [
        (PUBLIC_V4, False, False),
        (PUBLIC_V6, False, False),
        ("8.8.8.8", True, False),
        ("127.0.0.1", False, True),
        ("127.0.0.1", True, False),
        ("::1", False, True),
        ("::1", True, False),
        ("::ffff:127.0.0.1", False, True),
        ("::ffff:127.0.0.1", True, False),
        ("::ffff:10.0.0.1", True, True),
        ("::ffff:93.184.215.14", False, False),
        ("10.0.0.1", True, True),
        ("172.16.0.1", False, True),
        ("172.32.0.1", False, False),
        ("192.168.0.1", False, True),
        ("100.64.0.1", False, True),
        ("100.128.0.1", False, False),
        ("169.254.169.254", True, True),
        ("fe80::1", True, True),
        ("fc00::1", False, True),
        ("0.0.0.0", True, True),
        ("224.0.0.1", False, True),
        ("64:ff9b::a00:1", False, True),
    ],
)
def test_is_forbidden_address(address, allow_loopback, forbidden):
    assert is_forbidden_address(ipaddress.ip_address(address), allow_loopback=allow_loopback) is forbidden


@pytest.mark.parametrize("url", ["https://hooks.example.com:22/x", "https://hooks.example.com:6379/x"])
def test_a_callback_url_naming_a_port_receivers_do_not_use_is_refused(url):
    guard = CallbackUrlGuard(local_mode=False, resolver=dns_must_not_be_used)

    with pytest.raises(CallbackUrlRejected, match="port 443 or 8443"):
        guard.check(url)


@pytest.mark.parametrize("url", ["https://hooks.example.com/x", "https://hooks.example.com:8443/x"])
def test_the_receivers_ports_pass(url):
    guard = CallbackUrlGuard(local_mode=False, resolver=FakeDns({"hooks.example.com": [PUBLIC_V4]}))

    assert guard.check(url) == [PUBLIC_V4]


def test_the_allowed_ports_are_configurable():
    guard = CallbackUrlGuard(
        local_mode=False, resolver=FakeDns({"hooks.example.com": [PUBLIC_V4]}), ports=(9443,)
    )

    assert guard.check("https://hooks.example.com:9443/x") == [PUBLIC_V4]
    with pytest.raises(CallbackUrlRejected):
        guard.check("https://hooks.example.com/x")
