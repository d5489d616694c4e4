"""Where certificate QR codes point (issue 17): VERIFY_HOST, else the development server running."""

from __future__ import annotations

from pathlib import Path

import pytest

from certexam.config import DEV_VERIFY_HOST, is_local_host, verify_origin
from certexam.services.certificates import pdf as cert_pdf
from tests.conftest import make_app


@pytest.mark.parametrize(("host", "local"), [
    ("127.0.0.1:5077", True), ("localhost", True), ("app.localhost:8080", True), ("[::1]:5000", True),
    ("192.168.1.20:5000", True), ("10.0.0.7", True), ("0.0.0.0:5000", True),
    ("verify.certexam.local", False), ("certs.example.org", False), ("8.8.8.8", False), ("", False),
])
def test_local_hosts(host: str, local: bool) -> None:
    assert is_local_host(host) is local


def test_origin_rules() -> None:
    assert verify_origin({"VERIFY_HOST": "verify.example.org"}, "127.0.0.1:5077") == ("https", "verify.example.org")
    assert verify_origin({"VERIFY_HOST": "127.0.0.1:5077"}) == ("http", "127.0.0.1:5077")
    assert verify_origin({"VERIFY_HOST": None}, "127.0.0.1:5077") == ("http", "127.0.0.1:5077")
    assert verify_origin({"VERIFY_HOST": ""}) == ("http", DEV_VERIFY_HOST)  # an empty variable is unset
    assert verify_origin({"VERIFY_HOST": None}, "demo.example.org") == ("https", "demo.example.org")
    # Production: always https, and never a host guessed from a request.
    assert verify_origin({"VERIFY_HOST": "10.0.0.7", "PRODUCTION": True}) == ("https", "10.0.0.7")
    with pytest.raises(RuntimeError, match="CERTEXAM_VERIFY_HOST"):
        verify_origin({"VERIFY_HOST": None, "PRODUCTION": True}, "127.0.0.1:5077")


def test_unset_verify_host_points_at_the_running_server(tmp_path: Path) -> None:
    app = make_app(tmp_path, VERIFY_HOST=None)
    with app.test_request_context("/", base_url="http://127.0.0.1:5077"):
        assert cert_pdf.verify_url("ABC") == "HTTP://127.0.0.1:5077/V/ABC"
    with app.app_context():  # a command line, no request: `certexam run`'s default address
        assert cert_pdf.verify_url("ABC") == "HTTP://127.0.0.1:5000/V/ABC"
    app.extensions["certexam.engine"].dispose()


def test_set_verify_host_wins_over_the_request(tmp_path: Path) -> None:
    app = make_app(tmp_path, VERIFY_HOST="verify.example.org")
    with app.test_request_context("/", base_url="http://127.0.0.1:5077"):
        assert cert_pdf.verify_url("ABC") == "HTTPS://VERIFY.EXAMPLE.ORG/V/ABC"
    app.extensions["certexam.engine"].dispose()
