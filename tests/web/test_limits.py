from __future__ import annotations

import asyncio

from trichometry.web.limits import BodyLimit


async def _echo(scope, receive, send):
    body = b""
    while True:
        msg = await receive()
        body += msg.get("body", b"")
        if not msg.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(len(body)).encode()})


def _call(chunks: list[bytes], headers: list[tuple[bytes, bytes]], limit: int = 100):
    sent: list[dict] = []
    queue = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)
    ]

    async def receive():
        return queue.pop(0)

    async def send(msg):
        sent.append(msg)

    scope = {"type": "http", "headers": headers}
    asyncio.run(BodyLimit(_echo, limit)(scope, receive, send))
    return sent[0]["status"], sent[-1]["body"]


def test_content_length_over_limit_is_413_without_reading():
    status, body = _call([b"x" * 10], [(b"content-length", b"101")])
    assert status == 413 and b"larger than 100 bytes" in body


def test_chunked_body_is_counted():
    assert _call([b"x" * 60, b"y" * 40], []) == (200, b"100")
    status, _ = _call([b"x" * 60, b"y" * 41], [])
    assert status == 413


def test_bad_content_length_is_refused():
    assert _call([b""], [(b"content-length", b"abc")])[0] == 413
