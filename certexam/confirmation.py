"""A confirmation step for irreversible actions (issue 18.10), checked by the server.

Releasing results (which tells every candidate and issues certificates), ending a candidate's paper
and revoking a certificate used to act on one click. Now the first POST of such a form changes
nothing: it answers with a page that says what will happen and to how many people, and a form that
posts the same fields again with ``confirm=yes``. Only that second POST acts. A JavaScript confirm()
would not do: the CSP forbids inline script, and a script-only check is bypassed by any client.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import render_template, request

CONFIRM_FIELD = "confirm"
CONFIRM_VALUE = "yes"


def confirmed() -> bool:
    """True when this POST comes from a confirmation page's button."""
    return request.form.get(CONFIRM_FIELD) == CONFIRM_VALUE


def page(*, title: str, statement: str, button: str, cancel_url: str,
         fields: Mapping[str, Any] | Iterable[tuple[str, Any]] = (), details: Iterable[str] = (),
         warning: str | None = None) -> str:
    """The confirmation page: what will happen, then a button that posts `fields` back with confirm=yes.

    The form posts to the URL of the request being confirmed, so the same view decides both steps.
    """
    items = list(fields.items()) if isinstance(fields, Mapping) else list(fields)
    return render_template("confirm.html", title=title, statement=statement, button=button,
                           cancel_url=cancel_url, fields=[(k, "" if v is None else str(v)) for k, v in items],
                           details=list(details), warning=warning, action_url=request.path,
                           confirm_field=CONFIRM_FIELD, confirm_value=CONFIRM_VALUE)
