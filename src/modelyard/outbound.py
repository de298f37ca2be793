"""Outbound HTTP for webhooks, refusing addresses the server must not reach.

The name is resolved once; every address it resolves to must be allowed (public, or
in the admin's ``allow_webhook_hosts``: host names, addresses or networks), and the
connection is made to that checked address, with the Host header and TLS SNI of the
name, so a DNS answer that changes between the check and the connection cannot
redirect the request.  Redirects are never followed: a 3xx is recorded as the
receiver's answer, and its Location is not fetched.  Loopback, private, link-local
(the cloud metadata address 169.254.169.254 included), multicast, reserved and
unspecified addresses are refused by default."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from urllib.parse import urlsplit

from modelyard.domain.webhook_records import EXCERPT, Response
from modelyard.errors import InvalidParameter

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Refused(Exception):
    pass


class OutboundPolicy:
    """``allow``: comma-separated host names, addresses or networks (CIDR) an admin
    allows besides public addresses."""

    def __init__(self, allow: str = "") -> None:
        self.names: set[str] = set()
        self.networks: list[Network] = []
        for item in (a.strip() for a in allow.split(",")):
            if not item:
                continue
            try:
                self.networks.append(ipaddress.ip_network(item.strip("[]"), strict=False))
            except ValueError:
                self.names.add(item.lower().rstrip("."))

    def address_allowed(self, host: str, ip: IPAddress) -> bool:
        if host.lower().rstrip(".") in self.names:
            return True
        if any(ip in n for n in self.networks if n.version == ip.version):
            return True
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            return self.address_allowed("", ip.ipv4_mapped)
        return ip.is_global and not ip.is_multicast

    def resolve(self, host: str, port: int) -> IPAddress:
        """The one address to connect to: every address the name resolves to is checked,
        and the first is used."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError:
            raise Refused(f"cannot resolve {host!r}") from None
        found = [ipaddress.ip_address(str(i[4][0]).split("%")[0]) for i in infos]
        if not found:
            raise Refused(f"cannot resolve {host!r}")
        for ip in found:
            if not self.address_allowed(host, ip):
                raise Refused(f"address {ip} of {host!r} is not allowed for webhooks "
                              "(loopback, private, link-local or reserved); an admin may "
                              "allow it with --allow-webhook-hosts")
        return found[0]


def split_url(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidParameter("a webhook URL must be http:// or https:// with a host")
    if parts.username or parts.password:
        raise InvalidParameter("a webhook URL may not carry credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidParameter("the webhook URL's port is not valid") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


class _Pinned(http.client.HTTPConnection):
    """An HTTP(S) connection to a checked address, speaking for the URL's name."""

    def __init__(self, name: str, ip: IPAddress, port: int, timeout: float,
                 tls: ssl.SSLContext | None) -> None:
        super().__init__(name, port, timeout=timeout)
        self.ip, self.tls = ip, tls

    def connect(self) -> None:
        sock = socket.create_connection((str(self.ip), self.port), self.timeout)
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        self.sock = sock


class SafeSender:
    def __init__(self, policy: OutboundPolicy, timeout: float = 10.0) -> None:
        self.policy, self.timeout = policy, timeout
        self.tls = ssl.create_default_context()

    def check_url(self, url: str) -> None:
        _, host, port, _ = split_url(url)
        try:
            self.policy.resolve(host, port)
        except Refused as exc:
            raise InvalidParameter(str(exc)) from None

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Response:
        try:
            scheme, host, port, path = split_url(url)
            ip = self.policy.resolve(host, port)
        except (InvalidParameter, Refused) as exc:
            return Response(None, "", str(exc))
        conn = _Pinned(host, ip, port, self.timeout, self.tls if scheme == "https" else None)
        deadline = time.monotonic() + self.timeout
        try:
            conn.request("POST", path, body=body, headers=headers)
            answer = conn.getresponse()
            chunk = answer.read(EXCERPT)
            text = chunk.decode("utf-8", "replace")
            if 300 <= answer.status < 400:
                return Response(answer.status, text, "redirect not followed")
            return Response(answer.status, text, None)
        except TimeoutError:
            return Response(None, "", f"no answer within {self.timeout:g} s")
        except (OSError, http.client.HTTPException) as exc:
            late = time.monotonic() >= deadline
            return Response(None, "", "timed out" if late else f"connection failed: "
                            f"{type(exc).__name__}")
        finally:
            conn.close()
