"""The route x role table of docs/security.md is the app's (issue 19.6).

Generated from the app's url_map and each view's roles decorator (`allowed_roles`, and `read_roles`
for GET/HEAD only): every route appears in the table and the table says exactly who may use it.
Then each role is tried against every role-checked route: 403 exactly where the table says no, the
read-only auditor included (its POSTs are 403 everywhere).

Run `python -m tests.functional.test_route_roles` to print the table after adding a route.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from certexam.models import Role
from tests.conftest import csrf_from
from tests.factories import candidate, sign_in, staff

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
HEADING = "## Route × role table"
# Column order and the abbreviations the table uses.
COLUMNS: dict[Role, str] = {
    Role.CANDIDATE: "Cand", Role.EMPLOYER: "Empl", Role.ITEM_AUTHOR: "Auth", Role.ITEM_REVIEWER: "Rev",
    Role.PROCTOR: "Proc", Role.MARKER: "Mark", Role.RESULTS_OFFICER: "Res", Role.CERTIFICATE_OFFICER: "Cert",
    Role.BONUS_CHECKER: "BChk", Role.BONUS_APPROVER: "BApp", Role.PAYMENT_OFFICER: "Pay", Role.AUDITOR: "Aud",
    Role.SYSTEM_ADMIN: "Sys",
}
FULL, READ = "✓", "r"
# Routes without a roles decorator: open to anyone, to anyone signed in, or the exam's JSON API (a
# candidate's, checked inside each call against the attempt's owner, on the hot path in SQL).
PUBLIC, SIGNED_IN, CANDIDATE_API = "public", "signed in", "candidate API"
ORG_KEY = "organisation API key"  # X-Api-Key with its scope, checked in the view (employers/api.py)
UNDECORATED: dict[str, str] = {
    "static": PUBLIC, "main.index": PUBLIC, "main.favicon": PUBLIC, "main.set_language": PUBLIC,
    "main.account": SIGNED_IN, "main.own_photo": SIGNED_IN, "auth.sign_in": PUBLIC, "auth.sign_out": SIGNED_IN,
    "auth.register": PUBLIC, "auth.forgot": PUBLIC, "auth.reset": PUBLIC, "auth.change_password": SIGNED_IN,
    "certificates.verify": PUBLIC, "certificates.lookup": PUBLIC, "certificates.receipt": PUBLIC,
    "certificates.jwks": PUBLIC, "certificates.root_pem": PUBLIC, "bonus.public_notice": PUBLIC,
    "bonus.public_fraud": PUBLIC, "api.openapi": PUBLIC, "statistics.public_page": PUBLIC,
    "statistics.public_csv": PUBLIC,
    "bonus.objection_new": SIGNED_IN,  # anyone signed in objects during a bonus notice (issue 23)
    # the JSON verification API (public, limited) and the watch list's API (an organisation's key, issue 23)
    "employers.api_verify": PUBLIC, "employers.api_watch_list": ORG_KEY, "employers.api_watch_add": ORG_KEY,
    "employers.api_watch_remove": ORG_KEY,
    "certificates.root_crl": PUBLIC,  # the root's CRL (issue 20.6)
    "tlog.checkpoint": PUBLIC, "tlog.key": PUBLIC, "tlog.proof": PUBLIC, "tlog.token_proof": PUBLIC,
    "tlog.consistency": PUBLIC, "tlog.entries": PUBLIC,  # the transparency log (issue 20.5)
    "certificates.issuer_profile": PUBLIC, "certificates.achievement": PUBLIC,  # Open Badges 3.0 (issue 20.7)
    "subsidies.public_notice": PUBLIC,  # the training subsidies' public notice (issue 23, rules s.4)
    "certificates.status_list_document": PUBLIC,  # the signed status lists (issue 20.3)
}
ROLES = "roles"


def _methods(rule: object) -> str:
    return ", ".join(sorted((getattr(rule, "methods", None) or set()) - {"HEAD", "OPTIONS"}))


def app_table(app: Flask) -> list[tuple[str, str, str, str, dict[Role, str]]]:
    """(path, methods, endpoint, access, {role: ✓ or r}) for every route, sorted by path and endpoint."""
    rows = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        full, read = getattr(view, "allowed_roles", None), getattr(view, "read_roles", ())
        cells: dict[Role, str] = {}
        if full is None:
            access = UNDECORATED.get(rule.endpoint, CANDIDATE_API if rule.endpoint.startswith("api.") else "?")
        else:
            access = ROLES
            cells = {r: READ for r in read} | {r: FULL for r in full}
        rows.append((rule.rule, _methods(rule), rule.endpoint, access, cells))
    return sorted(rows, key=lambda r: (r[0], r[2]))


def markdown(app: Flask) -> str:
    head = "| route | methods | endpoint | access | " + " | ".join(COLUMNS.values()) + " |"
    sep = "| --- | --- | --- | --- | " + " | ".join(":-:" for _c in COLUMNS) + " |"
    lines = [head, sep]
    for path, methods, endpoint, access, cells in app_table(app):
        lines.append(f"| `{path}` | {methods} | `{endpoint}` | {access} | "
                     + " | ".join(cells.get(r, "") for r in COLUMNS) + " |")
    return "\n".join(lines)


def doc_table() -> str:
    text = DOC.read_text(encoding="utf-8")
    assert HEADING in text, f"{DOC} has no '{HEADING}' section"
    section = text.split(HEADING, 1)[1]
    return "\n".join(line.strip() for line in section.splitlines() if line.startswith("| ")).split("\n\n")[0]


def _parse(table: str) -> dict[str, tuple[str, str, str, tuple[str, ...]]]:
    out = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        out[f"{cells[0]} {cells[2]}"] = (cells[1], cells[2], cells[3], tuple(cells[4:]))
    return out


def test_every_route_is_in_the_table_and_its_access_matches(app: Flask) -> None:
    documented, actual = _parse(doc_table()), _parse(markdown(app))
    missing = sorted(set(actual) - set(documented))
    stale = sorted(set(documented) - set(actual))
    assert not missing, f"routes missing from {DOC.name}'s table (regenerate it): {missing}"
    assert not stale, f"rows in {DOC.name}'s table for routes that do not exist: {stale}"
    wrong = {k: (documented[k], actual[k]) for k in actual if documented[k] != actual[k]}
    assert not wrong, wrong
    assert not [k for k, v in actual.items() if v[2] == "?"], "a route without roles is not classified"


def test_the_auditor_only_reads_and_every_write_names_a_duty(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if Role.AUDITOR in getattr(view, "allowed_roles", ()):
            pytest.fail(f"the auditor may write through {rule.endpoint}")
        writes = (rule.methods or set()) - {"GET", "HEAD", "OPTIONS"}
        if writes and Role.SYSTEM_ADMIN in getattr(view, "allowed_roles", ()):
            assert rule.endpoint.startswith("admin."), f"{rule.endpoint}: the system administrator has no duty here"


def _concrete(rule: Any) -> str:
    """The rule's path with every argument filled in (an id that exists nowhere: 404 after the role check)."""
    def fill(m: re.Match[str]) -> str:
        converter, args = m.group(1) or "", m.group(2) or ""
        return args.strip("()").split(",")[0].strip(" '\"") if converter == "any" else "999999"

    return re.sub(r"<(?:(\w+)(\([^)]*\))?:)?\w+>", fill, rule.rule)


@pytest.mark.parametrize("role", list(COLUMNS), ids=[r.value for r in COLUMNS])
def test_each_role_is_refused_exactly_where_the_table_says(app: Flask, role: Role) -> None:
    user = candidate(app) if role == Role.CANDIDATE else staff(app, {role})
    client = app.test_client()
    sign_in(client, user.email)
    token = csrf_from(client.get("/").get_data(as_text=True))
    problems = []
    for path, methods, endpoint, access, cells in app_table(app):
        if access != ROLES:
            continue
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and r.rule == path)
        for method in methods.split(", "):
            allowed = cells.get(role) == FULL or (cells.get(role) == READ and method == "GET")
            api = path.startswith("/api/")
            resp = client.open(_concrete(rule), method=method, data=None if api else {"csrf_token": token},
                               headers={"X-CSRFToken": token} if api else {})
            if (resp.status_code == 403) == allowed:
                problems.append(f"{method} {path}: {resp.status_code}, table says {'yes' if allowed else 'no'}")
    assert problems == [], problems


if __name__ == "__main__":  # print the table for docs/security.md
    import tempfile

    from tests.conftest import make_app

    with tempfile.TemporaryDirectory() as tmp:
        print(markdown(make_app(Path(tmp))))
