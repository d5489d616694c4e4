"""Clicking the button of a confirmation page (certexam/confirmation.py) like a browser would."""

from __future__ import annotations

import html
import re
from typing import Any

from flask.testing import FlaskClient

_FORM = re.compile(r'<form method="post" action="([^"]+)">(.*?)</form>', re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def confirmation_fields(page: str) -> tuple[str, dict[str, str]]:
    """The confirmation form's action and its hidden fields (confirm=yes among them)."""
    m = next((f for f in _FORM.finditer(page) if 'id="confirm"' in f.group(2)), None)
    assert m, "no confirmation form on the page"
    return html.unescape(m.group(1)), {k: html.unescape(v) for k, v in _HIDDEN.findall(m.group(2))}


def confirm(client: FlaskClient, page: Any, **kw: Any) -> Any:
    """Post the confirmation form of `page` (a response showing a confirmation)."""
    action, fields = confirmation_fields(page.get_data(as_text=True))
    assert fields.get("confirm") == "yes"
    return client.post(action, data=fields, **kw)
