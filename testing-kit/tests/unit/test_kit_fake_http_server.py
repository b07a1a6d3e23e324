from __future__ import annotations

import asyncio
import ssl

import httpx
import pytest

from floe_testing_kit import FakeHTTPServer, ScriptedResponse, unused_tcp_url


async def test_records_requests_and_answers_from_the_script() -> None:
    async with FakeHTTPServer() as server, httpx.AsyncClient() as client:
        server.script(ScriptedResponse(429, {"Retry-After": "3"}, b"slow down"))
        first = await client.post(f"{server.url}/hook?x=1", content=b"abc", headers={"X-Key": "v"})
        second = await client.post(f"{server.url}/hook", json={"a": 1})
    assert (first.status_code, first.headers["retry-after"], first.content) == (
        429,
        "3",
        b"slow down",
    )
    assert second.status_code == 200
    request = server.requests[0]
    assert (request.method, request.path, request.query) == ("POST", "/hook", {"x": "1"})
    assert request.headers["x-key"] == "v"
    assert request.body == b"abc"
    assert [r.accepted for _, r in server.exchanges] == [False, True]


async def test_handler_answers_when_the_script_is_empty() -> None:
    answer = ScriptedResponse.json(202, '{"ok": true}')
    async with FakeHTTPServer(lambda _r: answer) as server, httpx.AsyncClient() as client:
        response = await client.get(server.url)
    assert response.status_code == 202
    assert response.json() == {"ok": True}


async def test_hang_outlasts_the_client_deadline() -> None:
    async with FakeHTTPServer() as server, httpx.AsyncClient(timeout=0.2) as client:
        server.script(ScriptedResponse(hang=True))
        with pytest.raises(httpx.ReadTimeout):
            await client.post(server.url, content=b"x")
    assert len(server.requests) == 1


async def test_reset_after_reading_the_request() -> None:
    async with FakeHTTPServer() as server, httpx.AsyncClient() as client:
        server.script(ScriptedResponse(reset=True))
        with pytest.raises(httpx.TransportError):
            await client.post(server.url, content=b"x")
    assert server.requests[0].body == b"x"


async def test_chunked_bodies_are_read() -> None:
    async def chunks() -> object:
        yield b"ab"
        yield b"cd"

    async with FakeHTTPServer() as server, httpx.AsyncClient() as client:
        await client.post(server.url, content=chunks())  # type: ignore[arg-type]
    assert server.requests[0].body == b"abcd"


async def test_tls_with_a_generated_ca() -> None:
    async with FakeHTTPServer(tls=True) as server:
        assert server.url.startswith("https://")
        assert server.ca_bundle is not None
        context = ssl.create_default_context(cafile=server.ca_bundle)
        async with httpx.AsyncClient(verify=context) as client:
            response = await client.get(server.url)
        assert response.status_code == 200
        async with httpx.AsyncClient() as untrusting:
            with pytest.raises(httpx.ConnectError):
                await untrusting.get(server.url)


async def test_wait_for_requests_times_out() -> None:
    async with FakeHTTPServer() as server:
        with pytest.raises(TimeoutError):
            await server.wait_for_requests(1, timeout=0.05)


async def test_unused_url_refuses_connections() -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(unused_tcp_url())


async def test_close_ends_hanging_connections() -> None:
    server = await FakeHTTPServer().start()
    server.script(ScriptedResponse(hang=True))
    async with httpx.AsyncClient(timeout=5) as client:
        pending = asyncio.ensure_future(client.get(server.url))
        await server.wait_for_requests(1)
        await server.close()
        with pytest.raises(httpx.TransportError):
            await pending
