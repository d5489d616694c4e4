"""A minimal HTTP/1.1 client on asyncio streams, for the exam-day load and the fault tests.

One TCP connection per request with `Connection: close`, as a reverse proxy
without upstream keep-alive (nginx's default) would talk to gunicorn. The
standard library only: the load generator shares the machine's two cores with
the server, so it must cost little, and it must never retry behind our back
(every failure is reported to the caller, who decides).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

HOST = "127.0.0.1"  # the only host the harness ever talks to


@dataclass(frozen=True)
class Reply:
    """What came back: status 0 means no complete response (refused, reset, timed out)."""

    status: int
    body: bytes
    error: str | None = None

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def _encode(method: str, path: str, port: int, body: Any, headers: dict[str, str] | None) -> bytes:
    data = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close",
             f"Content-Length: {len(data)}"]
    if body is not None:
        lines.append("Content-Type: application/json")
    lines.extend(f"{k}: {v}" for k, v in (headers or {}).items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data


def _parse(raw: bytes) -> Reply:
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep or not head.startswith(b"HTTP/1."):
        return Reply(0, b"", f"incomplete response ({len(raw)} bytes)")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    fields = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(b":") for ln in lines[1:])}
    if fields.get(b"transfer-encoding", b"").lower() == b"chunked":
        return Reply(status, _dechunk(body))
    length = fields.get(b"content-length")
    if length is not None and len(body) < int(length):
        return Reply(0, b"", f"truncated body ({len(body)} of {int(length)} bytes)")
    return Reply(status, body)


def _dechunk(data: bytes) -> bytes:
    out, pos = bytearray(), 0
    while pos < len(data):
        end = data.index(b"\r\n", pos)
        size = int(data[pos:end].split(b";")[0], 16)
        if size == 0:
            break
        out += data[end + 2:end + 2 + size]
        pos = end + 2 + size + 2
    return bytes(out)


async def request(port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                  timeout: float = 30.0) -> Reply:
    """Send one request on a fresh connection and read the whole response (or say why not)."""
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(HOST, port)
            writer.write(_encode(method, path, port, body, headers))
            raw = await reader.read()  # the server closes after the response (Connection: close)
        return _parse(raw)
    except (OSError, TimeoutError, ValueError, IndexError) as exc:
        return Reply(0, b"", type(exc).__name__ + (f": {exc}" if str(exc) else ""))
    finally:
        if writer is not None:
            writer.transport.abort()


async def drop_mid_request(port: int, method: str, path: str, body: Any, headers: dict[str, str],
                           cut: str, pause: float = 0.05) -> None:
    """Send a request and vanish before the answer: `cut` is "body" (half the body sent) or "reply".

    "reply" sends everything and resets the connection without reading, as a
    browser tab closed during the save; "body" stops halfway through the JSON.
    """
    data = _encode(method, path, port, body, headers)
    split = len(data) - max(1, len(json.dumps(body)) // 2) if cut == "body" else len(data)
    try:
        _reader, writer = await asyncio.open_connection(HOST, port)
    except OSError:
        return
    try:
        writer.write(data[:split])
        await writer.drain()
        await asyncio.sleep(pause)
    except OSError:
        pass
    finally:
        writer.transport.abort()  # RST, no goodbye
