"""The address policy and the resolver guard."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from floe_alert_webhook.targets import (
    GuardedResolver,
    TargetRefusedError,
    address_refusal,
    resolve_checked,
)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("169.254.169.254", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("::ffff:169.254.169.254", "a cloud metadata address"),
        ("169.254.1.1", "a link-local address"),
        ("fe80::abcd", "a link-local address"),
        ("127.0.0.1", None),
        ("10.0.0.8", None),
        ("2001:db8::1", None),
        ("93.184.216.34", None),
    ],
)
def test_address_refusal(address: str, expected: str | None) -> None:
    assert address_refusal(ipaddress.ip_address(address)) == expected


class _StubResolver(AbstractResolver):
    def __init__(self, address: str) -> None:
        self.address = address
        self.closed = False

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host, host=self.address, port=port, family=family, proto=0, flags=0
            )
        ]

    async def close(self) -> None:
        self.closed = True


async def test_guarded_resolver_refuses_names_pointing_at_metadata() -> None:
    guard = GuardedResolver()
    await guard.close()
    guard._inner = _StubResolver("169.254.169.254")
    with pytest.raises(TargetRefusedError, match="metadata"):
        await guard.resolve("innocent.example.com", 443)


async def test_guarded_resolver_passes_ordinary_answers_and_closes_inner() -> None:
    guard = GuardedResolver()
    await guard.close()
    stub = _StubResolver("10.1.2.3")
    guard._inner = stub
    results = await guard.resolve("internal.example.com", 443)
    assert [r["host"] for r in results] == ["10.1.2.3"]
    await guard.close()
    assert stub.closed


async def test_guarded_resolver_resolves_localhost_for_real() -> None:
    guard = GuardedResolver()
    try:
        results = await guard.resolve("localhost", 80)
    finally:
        await guard.close()
    assert any(r["host"] in ("127.0.0.1", "::1") for r in results)


async def test_resolve_checked() -> None:
    assert "127.0.0.1" in await resolve_checked("127.0.0.1", 80, allow_link_local=False)
    with pytest.raises(TargetRefusedError):
        await resolve_checked("169.254.169.254", 80, allow_link_local=False)
    assert await resolve_checked("169.254.169.254", 80, allow_link_local=True) == [
        "169.254.169.254"
    ]
