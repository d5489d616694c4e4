"""Request bodies have limits, applied before the body is read (issue 19.1)."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from certexam import body_limits
from certexam.config import DEFAULTS

MIB = 1024 * 1024


class Untouchable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def __init__(self) -> None:
        self.reads = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self.reads += 1
        raise AssertionError("the body was read")


class Streamed(io.RawIOBase):
    """A streamed body (no Content-Length): a multipart photo field whose file goes on for `size`
    bytes; counts what was read from it."""

    HEAD = (b'--x\r\nContent-Disposition: form-data; name="photo"; filename="me.png"\r\n'
            b"Content-Type: image/png\r\n\r\n")

    def __init__(self, size: int) -> None:
        self.size, self.served = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.served >= self.size:
            return 0
        chunk = (self.HEAD if self.served == 0 else b"")[: len(buffer)]
        n = min(len(buffer), self.size - self.served)
        buffer[:n] = chunk + b"a" * (n - len(chunk))
        self.served += n
        return n


def send(client: FlaskClient, method: str, url: str, body: io.RawIOBase, content_type: str,
         length: int | None) -> Any:
    """A request whose body is `body` as the WSGI server hands it over (declared length or streamed)."""
    env: dict[str, Any] = {"wsgi.input": body, "CONTENT_TYPE": content_type, "HTTP_ACCEPT_LANGUAGE": "en"}
    if length is None:
        env["wsgi.input_terminated"] = True  # what gunicorn says of a chunked body
    else:
        env["CONTENT_LENGTH"] = str(length)
    return client.open(url, method=method, environ_overrides=env)


def test_the_default_limit_is_applied(app: Flask) -> None:
    assert DEFAULTS["MAX_CONTENT_LENGTH"] == 16 * MIB
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * MIB  # was None: Flask defines the key, setdefault kept it
    assert app.before_request_funcs[None][0] is body_limits.refuse_oversized_body  # before the CSRF check


def test_a_declared_1_gb_photo_upload_is_refused_unread(client: FlaskClient) -> None:
    body = Untouchable()
    resp = send(client, "POST", "/auth/register", body, "multipart/form-data; boundary=x", 1024 * MIB)
    assert resp.status_code == 413 and body.reads == 0
    text = resp.get_data(as_text=True)
    assert "accepts at most 2 MB" in text  # the photo's 2 MB, not the site's 16


def test_a_declared_body_over_16_mb_is_refused_unread_anywhere(client: FlaskClient) -> None:
    body = Untouchable()
    resp = send(client, "POST", "/auth/sign-in", body, "multipart/form-data; boundary=x", 17 * MIB)
    assert resp.status_code == 413 and body.reads == 0
    assert "16 MB" in resp.get_data(as_text=True)


def test_a_streamed_body_stops_at_the_limit(client: FlaskClient) -> None:
    body = Streamed(64 * MIB)
    resp = send(client, "POST", "/auth/register", body, "multipart/form-data; boundary=x", None)
    assert resp.status_code == 413
    assert body.served <= 2 * MIB + body_limits.ENVELOPE + 64 * 1024  # a read buffer past the limit at most


def test_api_bodies_have_their_own_limit(client: FlaskClient) -> None:
    body = Untouchable()
    resp = send(client, "PUT", "/api/v1/attempts/1/answers/1", body, "application/json", 300 * 1024)
    assert resp.status_code == 413 and body.reads == 0
    assert resp.is_json and "256 kB" in resp.get_json()["error"]


def test_urlencoded_forms_are_capped_in_size_and_fields(client: FlaskClient) -> None:
    big = client.post("/auth/sign-in", data="email=" + "a" * 600_000,
                      content_type="application/x-www-form-urlencoded")
    assert big.status_code == 413
    many = client.post("/auth/sign-in", data="&".join(f"f{i}=1" for i in range(1_001)),
                       content_type="application/x-www-form-urlencoded")
    assert many.status_code == 413
    fine = client.post("/auth/sign-in", data="&".join(f"f{i}=1" for i in range(50)),
                       content_type="application/x-www-form-urlencoded")
    assert fine.status_code == 400  # parsed; refused for its missing CSRF token, not its size


def test_multipart_fields_are_capped_in_size_and_count(client: FlaskClient) -> None:
    long_field = client.post("/auth/register", data={"name_en": "a" * 600_000},
                             content_type="multipart/form-data")
    assert long_field.status_code == 413
    many = client.post("/auth/sign-in", data={f"f{i}": "1" for i in range(1_001)},
                       content_type="multipart/form-data")
    assert many.status_code == 413


def test_limits_are_settings(tmp_path: Any) -> None:
    from tests.conftest import make_app

    app = make_app(tmp_path, MAX_CONTENT_LENGTH=1024)
    resp = send(app.test_client(), "POST", "/auth/sign-in", Untouchable(), "multipart/form-data; boundary=x", 2048)
    assert resp.status_code == 413 and "1 kB" in resp.get_data(as_text=True)
    app.extensions["certexam.engine"].dispose()
