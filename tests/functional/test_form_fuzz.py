"""Hostile input against every HTML form: no server error (issue 19.8).

The forms are found the way a visitor finds them: each role's pages are crawled
and every POST form on them is collected (its action and its inputs). Each is
matched to its WTForms class by field names, and Hypothesis draws values from
that class's definition: for a text field, text around its Length bounds with
control characters, bidi marks and astral characters; for an integer field, any
integer (2^31, 2^63 and far beyond); for a select, its offered values and made-up
ones; dates real and impossible; files of random bytes. Every answer must be
below 500.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from wtforms import fields as wtf
from wtforms.validators import Length, NumberRange

from certexam import db, sessions
from certexam.cli import demo_subsidies
from certexam.models import Registration, Role, User, UserRole
from tests.conftest import make_app

MAX_PAGES = 120  # per role: enough for every page kind, bounded for CI
INSTITUTION = "training_institution"  # a person who is no role of their own: the demo's subsidy applicant
SKIP_ACTIONS = ("/auth/sign-out",)  # would end the crawl's own session
EXAMPLES = 15  # per form and role


@dataclass
class HtmlForm:
    action: str
    names: set[str] = field(default_factory=set)
    options: dict[str, list[str]] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)
    submits: set[str] = field(default_factory=set)
    hidden: dict[str, str] = field(default_factory=dict)


class _Page(HTMLParser):
    def __init__(self, url: str) -> None:
        super().__init__()
        self.url, self.links, self.forms = url, set[str](), list[HtmlForm]()
        self._form: HtmlForm | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.add(a["href"].split("#")[0])
        elif tag == "form" and a.get("method", "get").lower() == "post":
            self._form = HtmlForm(urljoin(self.url, a.get("action") or self.url))
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "select", "textarea", "button") and a.get("name"):
            name, kind = a["name"], a.get("type", "text").lower()
            self._form.names.add(name)
            if kind == "file":
                self._form.files.add(name)
            elif kind == "submit" or tag == "button":
                self._form.submits.add(name)
            elif kind == "hidden":
                self._form.hidden[name] = a.get("value", "")
            elif kind in ("checkbox", "radio"):
                self._form.options.setdefault(name, []).append(a.get("value", "y"))
            if tag == "select":
                self._select = name
        elif tag == "option" and self._form is not None and self._select:
            self._form.options.setdefault(self._select, []).append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _form_classes() -> list[type[FlaskForm]]:
    def subs(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from subs(sub)

    return [c for c in subs(FlaskForm) if c.__module__.startswith("certexam.")]


def _fields_of(cls: type[FlaskForm], app: Flask) -> dict[str, Any]:
    with app.test_request_context():
        return dict(cls(meta={"csrf": False})._fields)


def _match(form: HtmlForm, classes: dict[type[FlaskForm], dict[str, Any]]) -> dict[str, Any]:
    """The fields of the WTForms class this HTML form renders (most names in common), else none."""
    names = form.names - {"csrf_token"}
    best, score = {}, 0
    for fields in classes.values():
        common = len(names & set(fields))
        if common > score and names <= set(fields) | set(form.hidden):
            best, score = fields, common
    return best


# -- values, from the field's definition --------------------------------------------------------------

NASTY = st.sampled_from(["\x00", "\x01", "\x1b", "\x7f", "\u202e", "\u200b", "\ufeff", "\u0085", "\r\n", "\t",
                         "𝔘", "😀", "%00", "' OR 1=1 --", "<script>", "../../etc/passwd", "A" * 300])
BIG_INTS = st.sampled_from([2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64 + 7, 10**30, -(2**63) - 1, -1, 0])


def _bounds(fld: Any, kind: type) -> tuple[int | None, int | None]:
    for v in getattr(fld, "validators", ()):
        if isinstance(v, kind):
            return (getattr(v, "min", None), getattr(v, "max", None))
    return None, None


def _text(fld: Any) -> st.SearchStrategy[str]:
    lo, hi = _bounds(fld, Length)
    edge = [n for n in (lo, hi) if n is not None and n >= 0]
    around = st.sampled_from(edge).flatmap(lambda n: st.sampled_from([max(n - 1, 0), n, n + 1])) if edge else st.just(5)
    return st.one_of(
        st.text(max_size=60),
        around.flatmap(lambda n: st.text(min_size=n, max_size=n) if n <= 2000
                       else st.text(min_size=1, max_size=3).map(lambda t: (t * n)[:n])),
        st.lists(st.one_of(NASTY, st.text(max_size=5)), max_size=6).map("".join),
        BIG_INTS.map(str),
    )


def _number(fld: Any) -> st.SearchStrategy[str]:
    lo, hi = _bounds(fld, NumberRange)
    edges = [n for n in (lo, hi) if isinstance(n, int)]
    near = st.sampled_from(edges).flatmap(lambda n: st.integers(n - 1, n + 1)) if edges else st.integers(-5, 5)
    return st.one_of(near.map(str), BIG_INTS.map(str), st.integers().map(str), _text(fld))


def _date(_fld: Any) -> st.SearchStrategy[str]:
    return st.one_of(st.dates().map(str), st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
                     st.sampled_from(["0000-00-00", "2026-02-30", "99999-01-01", "2026-13-01T25:61", "-1"]),
                     st.text(max_size=20))


def _choice(options: list[str], fld: Any) -> st.SearchStrategy[str]:
    offered = st.sampled_from(options) if options else st.just("")
    return st.one_of(BIG_INTS.map(str), offered, _text(fld))


def _is_date(fld: Any) -> bool:
    return isinstance(fld, wtf.DateField | wtf.DateTimeField | wtf.DateTimeLocalField) \
        or "date" in type(fld).__name__.lower()


def _hostile(name: str, fld: Any, form: HtmlForm) -> st.SearchStrategy[Any]:
    """Values a form must refuse cleanly, from its WTForms field (or, unmatched, from the HTML alone)."""
    if name in form.files or isinstance(fld, wtf.FileField | wtf.MultipleFileField):
        return st.tuples(st.binary(max_size=2048), st.text(max_size=30).map(lambda t: t or "x.bin"))
    if isinstance(fld, wtf.SelectMultipleField):
        return st.lists(_choice(form.options.get(name, []), fld), max_size=5)
    if isinstance(fld, wtf.SelectField | wtf.RadioField):
        return _choice(form.options.get(name, []), fld)
    if isinstance(fld, wtf.BooleanField):
        return st.sampled_from(["y", "", "on", "false", "\x00"])
    if isinstance(fld, wtf.IntegerField | wtf.DecimalField | wtf.FloatField):
        return _number(fld)
    if _is_date(fld):
        return _date(fld)
    if name in form.options:
        return _choice(form.options[name], fld)
    return _text(fld)


def _edges(name: str, fld: Any, form: HtmlForm) -> list[Any]:
    """The values tried on every field of every form before the random ones (Hypothesis examples)."""
    if name in form.files or isinstance(fld, wtf.FileField | wtf.MultipleFileField | wtf.BooleanField):
        return []
    numbers = [str(2**31), str(2**63), str(10**30), "-1"]
    if isinstance(fld, wtf.SelectMultipleField):
        return [[n] for n in numbers]
    if isinstance(fld, wtf.SelectField | wtf.RadioField | wtf.IntegerField) or name in form.options:
        return [*numbers, "x"]
    if _is_date(fld):
        return ["0001-01-01", "9999-12-31T23:59", "2026-02-30"]
    _lo, hi = _bounds(fld, Length)
    return ["\u202e\u200b", " ", "1" * ((hi or 300) + 1), str(2**63)]


def _plausible(name: str, fld: Any, form: HtmlForm) -> Any:
    """A value the field accepts, so that a hostile neighbour reaches the view and the service."""
    if name in form.files or isinstance(fld, wtf.FileField | wtf.MultipleFileField):
        return (b"%PDF-1.4 fuzz", "x.pdf")
    if name in form.hidden:
        return form.hidden[name]
    options = [o for o in form.options.get(name, []) if o not in ("", "0")]
    if options:
        return [options[0]] if isinstance(fld, wtf.SelectMultipleField) else options[0]
    if isinstance(fld, wtf.BooleanField):
        return "y"
    if isinstance(fld, wtf.IntegerField | wtf.DecimalField | wtf.FloatField):
        lo, _hi = _bounds(fld, NumberRange)
        return str(lo if lo is not None else 1)
    if _is_date(fld):
        return "2027-09-15T09:00" if "time" in type(fld).__name__.lower() else "2026-03-02"
    if isinstance(fld, wtf.EmailField) or "email" in name:
        return "fuzz@example.com"
    if isinstance(fld, wtf.PasswordField):
        return "a-long-fuzz-password-9"
    lo, _hi = _bounds(fld, Length)
    return "Fuzz" + "x" * max((lo or 0) - 4, 0)


def _strategy(form: HtmlForm, fields: dict[str, Any], names: list[str],
              good: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Every input plausible except one or two hostile (or left out), and one of the submit buttons."""
    hostile = st.fixed_dictionaries({n: st.one_of(_hostile(n, fields.get(n), form), st.none()) for n in names})
    chosen = st.sets(st.sampled_from(names), min_size=1, max_size=2) if names else st.just(set[str]())
    submit = st.sampled_from(sorted(form.submits)) if form.submits else st.none()

    def merge(parts: tuple[dict[str, Any], set[str], str | None]) -> dict[str, Any]:
        bad, which, button = parts
        return _with_button({n: (bad[n] if n in which else good[n]) for n in names}, button)

    return st.tuples(hostile, chosen, submit).map(merge)


def _with_button(data: dict[str, Any], button: str | None) -> dict[str, Any]:
    data = {k: v for k, v in data.items() if v is not None}
    return {**data, **({button: "y"} if button else {})}


# -- the site ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The demo's data (every page kind has something to show), and one person of each role."""
    from certexam.cli.demo import demo_command

    app = make_app(Path(tmp_path_factory.mktemp("formfuzz")), RATELIMIT_ENABLED=False)
    loaded = app.test_cli_runner().invoke(demo_command)
    assert loaded.exit_code == 0, loaded.output[-2000:]
    people: dict[str, int | None] = {"anonymous": None}
    with app.app_context():
        sess = db.session()
        for role in Role:  # staff: the demo's person of that role alone (created after the all-roles admin)
            ids = sess.scalars(select(User.id).where(User.role == role, User.active.is_(True)).order_by(User.id)) \
                if role in (Role.CANDIDATE, Role.EMPLOYER) else \
                sess.scalars(select(UserRole.user_id).where(UserRole.role == role).order_by(UserRole.user_id.desc()))
            people[role.value] = next(iter(ids), None)
        # the candidate with the most to show: registrations, results, a certificate, a bonus application
        busiest = sess.scalar(select(Registration.user_id).group_by(Registration.user_id)
                              .order_by(func.count().desc(), Registration.user_id).limit(1))
        people[Role.CANDIDATE.value] = busiest or people[Role.CANDIDATE.value]
        # an employer-kind account of a training institution: the subsidy forms (issue 23) are only theirs
        people[INSTITUTION] = sess.scalar(select(User.id).where(User.email == demo_subsidies.ACCOUNT[0]))
    yield {"app": app, "people": people}
    app.extensions["certexam.engine"].dispose()


def _client(app: Flask, user_id: int | None) -> Any:
    client = app.test_client()
    if user_id is not None:
        with client.session_transaction() as session:  # signed in as Flask-Login would sign them in
            session.update(_session_extra(app, user_id))
            session["_fresh"] = True
    return client


def _session_extra(app: Flask, user_id: int) -> dict[str, Any]:
    """What signing in writes: the account's id with its session epoch, and the session's time stamps.

    A bare id (the cookie before issue 19.2) is nobody: every role was crawled as a visitor until this.
    """
    with app.app_context():
        user = db.session().get(User, user_id)
        assert user is not None
        ident = user.get_id()
    now = int(time.time())
    return {"_user_id": ident, sessions.OPENED: now, sessions.SEEN: now}


def _route(routes: Any, path: str) -> str:
    """The endpoint a form posts to: one form per route, not one per row (a proctor's page lists an
    attempt form per candidate, hundreds of the same form)."""
    try:
        endpoint, _args = routes.match(path, method="POST")
    except Exception:  # noqa: BLE001  (no such route, or a redirect: keep the path itself)
        return path
    return str(endpoint)


def _crawl(client: Any, app: Flask) -> list[HtmlForm]:
    starts = {r.rule for r in app.url_map.iter_rules()
              if "GET" in (r.methods or ()) and not r.arguments and not r.rule.startswith(("/static", "/api"))}
    queue, seen, forms = sorted(starts), set[str](), dict[tuple[str, frozenset[str]], HtmlForm]()
    routes = app.url_map.bind("localhost")
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen or url.startswith(("/static", "/api")) or "sign-out" in url:
            continue
        seen.add(url)
        resp = client.get(url)
        assert resp.status_code < 500, f"GET {url}: {resp.status_code}"
        if resp.mimetype != "text/html":
            continue
        page = _Page(url)
        page.feed(resp.get_data(as_text=True))
        for form in page.forms:
            path = urlsplit(form.action).path
            if not path.startswith(SKIP_ACTIONS):
                forms.setdefault((_route(routes, path), frozenset(form.names)), form)
        queue.extend(sorted(page.links - seen))
    return list(forms.values())


def _fuzz(client: Any, form: HtmlForm, fields: dict[str, Any], failures: list[str]) -> int:
    """Post the form's edge cases, then random ones; return how many requests were sent."""
    token = form.hidden.get("csrf_token", "")
    names = sorted(form.names - {"csrf_token"} - form.submits)
    good = {n: _plausible(n, fields.get(n), form) for n in names}
    button = min(form.submits) if form.submits else None
    sent = [0]

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(data=_strategy(form, fields, names, good))
    def post(data: dict[str, Any]) -> None:
        files = any(isinstance(v, tuple) for v in data.values())
        body = {k: (io.BytesIO(v[0]), v[1]) if isinstance(v, tuple) else v for k, v in data.items()}
        resp = client.post(form.action, data={"csrf_token": token, **body},
                           content_type="multipart/form-data" if files else None)
        sent[0] += 1
        if resp.status_code >= 500:
            failures.append(f"{form.action} {sorted(data)}: {resp.status_code} {data!r:.300}")

    for name in names:  # each field's edge values, the others plausible: run first, as explicit examples
        for edge in _edges(name, fields.get(name), form):
            post = example(data=_with_button({**good, name: edge}, button))(post)
    post()
    return sent[0]


@pytest.mark.slow
@pytest.mark.parametrize("who", ["anonymous", *[r.value for r in Role], INSTITUTION])
def test_no_form_answers_a_server_error(site: dict[str, Any], who: str) -> None:
    app = site["app"]
    classes = {c: _fields_of(c, app) for c in _form_classes()}
    if site["people"][who] is None and who != "anonymous":
        pytest.fail(f"the demo has no active {who}")
    client = _client(app, site["people"][who])
    signed_in = 'action="/auth/sign-out"' in client.get("/").get_data(as_text=True)
    assert signed_in is (who != "anonymous"), f"{who} is not signed in: the crawl would only see public pages"
    forms = _crawl(client, app)
    assert forms, f"no form found for {who}"
    failures: list[str] = []
    sent = sum(_fuzz(client, form, _match(form, classes), failures) for form in forms)
    assert failures == [], "\n".join(failures[:20])
    print(f"{who}: {len(forms)} forms, {sent} requests, 0 server errors")
