"""Keeping outgoing webhooks (Slack, Teams, generic) from reaching into the server's own network (SSRF).

A webhook URL is chosen by a user, so without a guard it is a way to make the server call its
loopback interface, the private network it sits in, or a cloud metadata service. Every URL is checked
twice: when a contact method is created (a clear 400 early) and again right before each send, because
DNS answers change. The check:

- only `http` and `https`, a host, no user name or password in the URL;
- resolves the host and refuses the URL when *any* address it resolves to is not a public internet
  address: loopback, private (RFC 1918, fc00::/7), link-local (169.254/16 with the cloud metadata
  service, fe80::/10), carrier-grade NAT 100.64/10, multicast, unspecified, reserved, and the same
  ranges wrapped in IPv6 (IPv4-mapped ::ffff:a.b.c.d, 6to4, Teredo, NAT64 64:ff9b::/96).

The request then goes to the very address that was checked: `pinned_client` makes an httpx client
whose transport connects only to the vetted addresses (the URL, the Host header and the TLS server
name, and so certificate checking, keep the host name), so a DNS answer that changes between the
check and the connect (DNS rebinding) cannot redirect it. Redirects are never followed.

`TOCSIN_ALLOW_PRIVATE_WEBHOOKS=true` (an administrator's choice, for chat servers inside the
network) allows loopback, private, CGNAT and other non-public unicast addresses. Link-local
addresses (cloud metadata), multicast and unspecified addresses stay refused even then.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import httpcore
import httpx

ALLOW_SETTING = "TOCSIN_ALLOW_PRIVATE_WEBHOOKS"
MAX_RESPONSE_BYTES = 64 * 1024
# A host with many addresses is tried on its first few; each try may take the whole connect timeout.
MAX_ADDRESSES_TRIED = 3

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_PRIVATE = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class UnsafeURL(ValueError):
    """The URL may not be called. The message says why and is safe to show to the user."""


class HostNotFound(ConnectionError):
    """The host name did not resolve (possibly for now only)."""


@dataclass(frozen=True)
class Target:
    """A checked URL and the addresses a request to it may connect to."""

    url: str
    scheme: str
    host: str  # ASCII (IDNA) form, IPv6 without brackets
    port: int
    addresses: tuple[str, ...]


def refused_because(address: IPAddress, *, allow_private: bool = False) -> str | None:
    """Why a request must not go to this address, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = refused_because(embedded, allow_private=allow_private)
            if reason is not None:
                return f"{reason} ({embedded} wrapped in IPv6)"
            if address.ipv4_mapped is not None or address in _NAT64:
                return None  # the IPv4 address itself, or reached through NAT64 (IPv6-only hosts with DNS64)
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_link_local:
        return "a link-local address (such as a cloud metadata service)"
    if allow_private:
        return None
    if address.is_loopback:
        return "a loopback address"
    if address in _CGNAT:
        return "a carrier-grade NAT (shared) address"
    if any(address in network for network in _PRIVATE):
        return "a private network address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "not a public internet address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's address
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def resolve(host: str, port: int) -> list[str]:
    """Every address the host name resolves to (system resolver, /etc/hosts included)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise HostNotFound(f"the host {host} could not be resolved") from exc
    found: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]  # an IPv6 scope id is not part of the address
        if address not in found:
            found.append(address)
    return found


def parse(url: str) -> tuple[httpx.URL, str, int]:
    """The URL, its ASCII host and its port; UnsafeURL when it is not an http(s) URL we may call."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise UnsafeURL(f"not a valid URL: {exc}") from exc
    if parsed.scheme not in _DEFAULT_PORTS:
        raise UnsafeURL("only http:// and https:// URLs are allowed")
    if parsed.userinfo:
        raise UnsafeURL("the URL must not contain a user name or password")
    try:
        host = parsed.raw_host.decode("ascii")
    except UnicodeDecodeError as exc:
        raise UnsafeURL("the URL's host name is not valid") from exc
    if not host:
        raise UnsafeURL("the URL has no host")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise UnsafeURL(f"not a valid URL: port {parsed.port} is out of range")
    return parsed, host, parsed.port or _DEFAULT_PORTS[parsed.scheme]


def vet(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> Target:
    """Check the URL and resolve its host once; the Target names the addresses that passed.

    Raises UnsafeURL when the URL must not be called and HostNotFound when its host does not resolve.
    """
    parsed, host, port = parse(url)
    try:
        addresses, literal = [str(ipaddress.ip_address(host))], True
    except ValueError:
        addresses, literal = list(resolver(host, port)), False
    if not addresses:
        raise HostNotFound(f"the host {host} did not resolve to any address")
    vetted: list[str] = []
    for raw in addresses:
        try:
            address = ipaddress.ip_address(raw)
        except ValueError as exc:
            raise UnsafeURL(f"{host} resolved to {raw!r}, which is not an IP address") from exc
        reason = refused_because(address, allow_private=allow_private)
        if reason is not None:
            what = f"{host} is" if literal else f"{host} resolves to {address}, which is"
            hint = ""
            if not allow_private and refused_because(address, allow_private=True) is None:
                hint = f" (an administrator can allow private ones with {ALLOW_SETTING}=true)"
            raise UnsafeURL(f"refused: {what} {reason}; webhooks may only call public internet addresses{hint}")
        vetted.append(str(address))
    return Target(url=str(parsed), scheme=parsed.scheme, host=host, port=port, addresses=tuple(vetted))


def url_problem(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> str | None:
    """Why a contact method must not be created with this URL (for a 400), or None when it may."""
    try:
        vet(url, allow_private=allow_private, resolver=resolver)
    except UnsafeURL as exc:
        return str(exc)
    except HostNotFound as exc:
        return f"{exc}; check the URL"
    return None


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """httpx's default (certificate and host name checks on), made once: loading the CA bundle costs ~50 ms."""
    return httpx.create_ssl_context()


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects only to the target's vetted addresses, never resolving the host name again."""

    def __init__(self, target: Target) -> None:
        self._target = target
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        if host.lower() != self._target.host or port != self._target.port:
            raise httpcore.ConnectError(f"refusing to connect to {host}:{port}: not the address that was checked")
        error: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in self._target.addresses[:MAX_ADDRESSES_TRIED]:
            try:
                return self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None  # a Target always has at least one address
        raise error

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[typing.Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("webhooks do not connect to unix sockets")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class PinnedTransport(httpx.BaseTransport):
    """An httpx transport that sends requests for one checked Target only, to its vetted addresses.

    It reads at most MAX_RESPONSE_BYTES of a response body: an answer we only record cannot be made
    to fill memory.
    """

    def __init__(self, target: Target, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self._target = target
        if ssl_context is None and target.scheme == "https":
            ssl_context = default_ssl_context()
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            network_backend=_PinnedBackend(target),
            max_connections=1,
            max_keepalive_connections=0,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if (url.scheme, url.raw_host.decode("ascii", "replace"), url.port or _DEFAULT_PORTS.get(url.scheme)) != (
            self._target.scheme, self._target.host, self._target.port,
        ):
            raise httpx.ConnectError(f"refusing a request to {url.host}: not the URL that was checked", request=request)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            headers=request.headers.raw,
            content=request.read(),
            extensions=request.extensions,
        )
        try:
            response = self._pool.handle_request(core_request)
            try:
                body = bytearray()
                for chunk in response.iter_stream():
                    body += chunk
                    if len(body) >= MAX_RESPONSE_BYTES:
                        del body[MAX_RESPONSE_BYTES:]
                        break
            finally:
                response.close()
        except httpcore.TimeoutException as exc:
            raise httpx.TimeoutException(str(exc) or type(exc).__name__, request=request) from exc
        except httpcore.ConnectError as exc:
            raise httpx.ConnectError(str(exc) or "connection failed", request=request) from exc
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
            raise httpx.TransportError(str(exc) or type(exc).__name__, request=request) from exc
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            content=bytes(body),
            request=request,
            extensions={k: v for k, v in response.extensions.items() if k in ("http_version", "reason_phrase")},
        )

    def close(self) -> None:
        self._pool.close()


def pinned_client(target: Target, *, timeout: float, ssl_context: ssl.SSLContext | None = None) -> httpx.Client:
    """A client for requests to `target` only: connects to its vetted addresses, follows no redirect,
    ignores proxy environment variables (a proxy would resolve the name itself). TLS checks the
    certificate against the URL's host name (the default CA bundle unless `ssl_context` is given)."""
    return httpx.Client(transport=PinnedTransport(target, ssl_context=ssl_context), timeout=timeout,
                        follow_redirects=False, trust_env=False)
