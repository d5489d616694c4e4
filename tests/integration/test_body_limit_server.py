"""A 1 GB POST against a real gunicorn: answered 413 before the body is read, memory flat (issue 19.1).

The probe that found it: an anonymous 1 GB POST to the registration photo field
grew the worker from 0.39 to 1.18 GB and was answered 200 after 8.7 s.
"""

from __future__ import annotations

import secrets
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.exam_day_setup import Server, ServerSettings
from certexam import migrate

GIB = 1024 * 1024 * 1024
CHUNK = 1024 * 1024


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    url = f"sqlite:///{tmp_path / 'limits.sqlite3'}"
    migrate.upgrade(url)
    srv = Server("certexam.wsgi:app", url, tmp_path / "instance", ServerSettings(workers=1, threads=2),
                 secrets.token_hex(16))
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()


def _peak_rss_kib(pid: int) -> int:
    """The largest resident set the process has had (VmHWM), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def _head(port: int, headers: str) -> bytes:
    return (f"POST /auth/register HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: multipart/form-data; boundary=x\r\n{headers}\r\n").encode()


FILE_PART = (b'--x\r\nContent-Disposition: form-data; name="photo"; filename="me.png"\r\n'
             b"Content-Type: image/png\r\n\r\n")


def _read_answer(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        got = sock.recv(65536)
        if not got:
            break
        data += got
    return data


def test_a_declared_gigabyte_is_refused_before_it_is_sent(server: Server) -> None:
    """Only 1 MiB of the announced 1 GiB is ever sent: the answer comes without waiting for the rest."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        sock.sendall(_head(server.port, f"Content-Length: {GIB}\r\n") + FILE_PART + b"a" * CHUNK)
        answer = _read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_memory_stays_flat_under_a_streamed_gigabyte(server: Server) -> None:
    """1 GiB offered as a chunked stream (no length to refuse it by): the worker stops reading at the
    route's limit, answers 413, and its peak memory does not follow the body."""
    (worker,) = server.worker_pids()
    before = _peak_rss_kib(worker)
    answered = threading.Event()
    sent = [0]

    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        sock.sendall(_head(server.port, "Transfer-Encoding: chunked\r\n"))

        def stream() -> None:
            payload = FILE_PART + b"a" * (CHUNK - len(FILE_PART))
            try:
                while sent[0] < GIB and not answered.is_set():
                    sock.sendall(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
                    sent[0] += len(payload)
                    payload = b"a" * CHUNK
            except OSError:
                pass  # the server closed the connection after its answer

        sender = threading.Thread(target=stream)
        sender.start()
        answer = _read_answer(sock)
        answered.set()
        sock.shutdown(socket.SHUT_RDWR)
        sender.join(timeout=60)
    after = _peak_rss_kib(worker)
    print(f"streamed {sent[0] / CHUNK:.0f} MiB before the answer; worker peak RSS {before / 1024:.0f} -> "
          f"{after / 1024:.0f} MiB")
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert after - before < 64 * 1024, f"peak RSS grew by {(after - before) / 1024:.0f} MiB"
