"""Which URLs and addresses the channel may send to.

A webhook URL comes from configuration, and a monitor often runs on a cloud instance
whose metadata service hands out credentials to anyone on the box who asks. So the
channel refuses link-local addresses and the cloud metadata endpoints twice: when the
URL is validated (a literal address or a known metadata name) and when a host name is
resolved at connect time (a name that points at such an address), unless the config
says `allow_link_local_targets`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

__all__ = [
    "METADATA_ADDRESSES",
    "METADATA_HOSTNAMES",
    "GuardedResolver",
    "TargetRefusedError",
    "TargetURL",
    "address_refusal",
    "resolve_checked",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Cloud instance-metadata endpoints (AWS/GCP/Azure/OpenStack 169.254.169.254, AWS IPv6,
#: AWS ECS task metadata, Alibaba Cloud, which lies outside the link-local range).
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),
        ipaddress.ip_address("169.254.170.2"),
        ipaddress.ip_address("fd00:ec2::254"),
        ipaddress.ip_address("100.100.100.200"),
    }
)
#: Names of metadata endpoints, refused before any lookup.
METADATA_HOSTNAMES = frozenset({"metadata.google.internal"})

_ALLOW_HINT = "set allow_link_local_targets: true if this is really intended"


class TargetRefusedError(OSError):
    """The destination resolves to an address the channel refuses to contact.

    An `OSError` so that aiohttp reports it as a failed connection; the channel turns it
    into a permanent delivery error.
    """


def address_refusal(address: IPAddress) -> str | None:
    """Why `address` is refused (link-local or cloud metadata), or None when it is fine."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_link_local:
        return "a link-local address"
    return None


@dataclass(frozen=True)
class TargetURL:
    """A validated webhook URL, split into what may be shown and what may not.

    Attributes:
        scheme: ``https`` or ``http``.
        host: Host name or address literal (without brackets).
        port: Explicit or default port.
        path_and_query: Path and query, which may hold a token: never shown.

    """

    scheme: str
    host: str
    port: int
    path_and_query: str

    @property
    def is_https(self) -> bool:
        """True for an ``https`` URL."""
        return self.scheme == "https"

    @property
    def origin(self) -> str:
        """``scheme://host:port``: safe for logs, errors and health messages."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The full URL (secret)."""
        return self.origin + self.path_and_query

    @classmethod
    def parse(cls, url: str, *, allow_insecure_http: bool, allow_link_local: bool) -> TargetURL:
        """Validate a webhook URL.

        Raises:
            ValueError: The URL is unusable or refused. The message never repeats the
                URL, which may be a credential.

        """
        if not url or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
            raise ValueError("must be an absolute http(s) URL without spaces or control characters")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise ValueError("is not a valid URL (bad port or address)") from None
        scheme = parts.scheme.lower()
        if scheme not in ("https", "http"):
            raise ValueError("must be an https:// URL")
        if scheme == "http" and not allow_insecure_http:
            raise ValueError(
                "plain http:// is refused: use https://, or set allow_insecure_http: true "
                "(for example for a receiver on loopback)"
            )
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise ValueError("has no host")
        if parts.username is not None or parts.password is not None:
            raise ValueError("must not contain user info: put credentials in 'auth'")
        if not allow_link_local:
            refusal = _host_refusal(host)
            if refusal is not None:
                raise ValueError(f"points at {refusal}: refused ({_ALLOW_HINT})")
        path = parts.path or "/"
        query = f"?{parts.query}" if parts.query else ""
        return cls(
            scheme=scheme,
            host=host,
            port=port if port is not None else (443 if scheme == "https" else 80),
            path_and_query=path + query,
        )


def _host_refusal(host: str) -> str | None:
    if host.lower() in METADATA_HOSTNAMES:
        return "a cloud metadata host name"
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        if _legacy_ipv4(host):
            # `2852039166` or `0251.0376.0251.0376` is 169.254.169.254 to the resolver.
            return "a non-canonical IPv4 address"
        return None  # a name: checked again when it is resolved
    return address_refusal(address)


def _legacy_ipv4(host: str) -> bool:
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True


class GuardedResolver(AbstractResolver):
    """An aiohttp resolver that refuses names resolving to link-local or metadata addresses.

    aiohttp skips the resolver for address literals, which `TargetURL.parse` has already
    checked; names are checked here, on every lookup, so a DNS answer cannot smuggle
    the metadata endpoint in.
    """

    def __init__(self) -> None:
        self._inner: AbstractResolver = aiohttp.resolver.DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve `host` and refuse the answer if any address is off-limits."""
        results = await self._inner.resolve(host, port, family)
        for result in results:
            try:
                address = ipaddress.ip_address(result["host"].split("%", 1)[0])
            except ValueError:
                continue
            refusal = address_refusal(address)
            if refusal is not None:
                raise TargetRefusedError(f"the host name resolves to {refusal} ({_ALLOW_HINT})")
        return results

    async def close(self) -> None:
        """Release the wrapped resolver."""
        await self._inner.close()


async def resolve_checked(host: str, port: int, *, allow_link_local: bool) -> list[str]:
    """Addresses to connect to for `host`, refused as `GuardedResolver` does.

    Used by the health probe, which connects without aiohttp.

    Raises:
        TargetRefusedError: An address is link-local or a metadata endpoint.
        OSError: The name cannot be resolved.

    """
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        text = str(sockaddr[0])
        if not allow_link_local:
            refusal = address_refusal(ipaddress.ip_address(text.split("%", 1)[0]))
            if refusal is not None:
                raise TargetRefusedError(f"the host resolves to {refusal} ({_ALLOW_HINT})")
        if text not in addresses:
            addresses.append(text)
    return addresses
