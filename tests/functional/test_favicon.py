"""The site's icon: linked from every page, and the browsers' automatic /favicon.ico does not 404."""

from __future__ import annotations

from flask.testing import FlaskClient


def test_favicon_is_linked_and_served(client: FlaskClient) -> None:
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in client.get("/").get_data(
        as_text=True)
    resp = client.get("/favicon.ico")
    assert resp.status_code == 301 and resp.headers["Location"].endswith("/static/favicon.svg")
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
