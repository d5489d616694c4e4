"""Issuing, verifying and administering certificates through the services (issue 6).

Every test makes its own throwaway keys in its instance folder, with a test
passphrase.  PDFs are made only where a test looks at them (about 0.6 s each).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import func, select

from certexam import db
from certexam.certpdf.sign import verify_pdf
from certexam.crypto.cose import CertificateClaims, decode_base32, encode_base32, sign_token
from certexam.crypto.jwks import SigningKey, make_kid
from certexam.crypto.keystore import PASSPHRASE_ENV, KeyStore, KeyStoreError, WrongPassphraseError
from certexam.crypto.x509ca import new_key
from certexam.domain.certno import format_number, parse_number
from certexam.domain.verdict import VerdictCode
from certexam.errors import Conflict, UserError
from certexam.models import AuditEntry, Certificate, LevelPass, Registration, Role, User
from certexam.services.accounts import passwords
from certexam.services.certificates import admin as cert_admin
from certexam.services.certificates import issue as certificates
from certexam.services.certificates import keys
from certexam.services.certificates import pdf as cert_pdf
from certexam.services.certificates import verify as cert_verify
from certexam.services.certificates.offline import url_in_pdf
from certexam.services.platform import audit, clock, uploads
from certexam.services.sittings import schedule as sittings
from tests.conftest import make_app
from tests.factories import PASSWORD as PASSWORD_FOR_SIGN_IN

PASSPHRASE = "test passphrase 0123"
PASSED = date(2026, 5, 20)
ISSUED = date(2026, 7, 15)
# The keys exist before the certificates the tests date ISSUED: a key created today signing a certificate
# dated months ago is backdating, which verification rejects (issue 20.4, domain/backdating.py).
KEYS_CREATED = datetime(2026, 1, 5, tzinfo=UTC)
_admission = itertools.count(1)


# -- helpers shared with the CLI and page tests --------------------------------------------------
def keyed_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str | None = None,
              **config: Any) -> Flask:
    """An app whose instance folder holds fresh keys under the test passphrase."""
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    app = make_app(tmp_path, database_url, **config)
    with app.app_context():
        keys.init_keys(None, KEYS_CREATED)
    return app


def make_sitting(app: Flask, level: int = 1, name: str | None = None) -> int:
    plan = sittings.SittingPlan(
        name=name or f"sitting {next(_admission)}", level=level, registration_opens_at=datetime(2026, 1, 5, tzinfo=UTC),
        registration_closes_at=datetime(2026, 3, 1, tzinfo=UTC), capacity=100, languages=("zh_Hans", "en"), fee_fen=0,
        papers=tuple(sittings.PaperPlan(code, datetime(2026, 3, 14, 1 + 4 * i, 0, tzinfo=UTC))
                     for i, code in enumerate(("P1", "P2", "P3") if level == 1 else ("AM", "PM"))))
    with app.app_context():
        return sittings.create_sitting(None, plan).id


def record_pass(app: Flask, user_id: int, sitting_id: int, level: int = 1, direction: str | None = None) -> None:
    """What results release (issue 5) will write: a registration and a level pass."""
    with app.app_context():
        @db.use_case
        def add() -> None:
            sess = db.session()
            sess.add(Registration(sitting_id=sitting_id, user_id=user_id, admission_no=f"T{next(_admission):08d}",
                                  direction=direction, created_at=db.utcnow()))
            sess.add(LevelPass(user_id=user_id, level=level, passed_on=PASSED, sitting_id=sitting_id,
                               created_at=db.utcnow()))
        add()


def issue(app: Flask, user: User, level: int = 1, direction: str | None = None, sitting_id: int | None = None,
          with_pdf: bool = False, issued_on: date = ISSUED) -> Certificate:
    """Issue on the day the certificate is dated, as the body does: the transparency log records it
    then (issue 20.5), so a verification today does not take it for a backdated one."""
    with app.app_context(), issued_on_clock(app, issued_on):
        return certificates.issue_certificate(None, user.id, level, direction, sitting_id, PASSED, issued_on,
                                              with_pdf=with_pdf)


@contextlib.contextmanager
def issued_on_clock(app: Flask, day: date) -> Iterator[None]:
    """The app's clock at 10:00 Beijing time on `day` while issuing (unless a test set its own clock, or
    the day is today: then the real time)."""
    if app.config.get("CLOCK") is not None or day == datetime.now(clock.PROGRAMME_TZ).date():
        yield
        return
    at = datetime.combine(day, time(10), clock.PROGRAMME_TZ).astimezone(UTC)
    app.config["CLOCK"] = lambda: at
    try:
        yield
    finally:
        app.config["CLOCK"] = None


_password_hash: list[str] = []  # argon2 costs ~0.2 s of CPU: hash once, reuse for every holder


def make_holder(app: Flask, name_zh: str = "张三", name_en: str = "Zhang San", photo: bytes | None = None,
                name_family: str | None = None) -> User:
    """A candidate account written straight to the table (who can sign in with factories.PASSWORD)."""
    if not _password_hash:
        _password_hash.append(passwords.hash_password(PASSWORD_FOR_SIGN_IN))
    n = next(_admission)
    with app.app_context():
        @db.use_case
        def add() -> User:
            user = User(email=f"holder{n}@example.com", password_hash=_password_hash[0], role=Role.CANDIDATE,
                        name_zh=name_zh, name_en=name_en, name_family=name_family or name_en.split(maxsplit=1)[0],
                        photo_path=uploads.store_photo(photo) if photo else None,
                        created_at=db.utcnow())
            db.session().add(user)
            db.session().flush()
            return user
        return add()


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (350, 490), (200, 215, 235)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """A fresh app: for tests that change the keys or count serials from one."""
    application = keyed_app(tmp_path, monkeypatch)
    yield application
    application.extensions["certexam.engine"].dispose()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app for the tests that only add their own holders and certificates."""
    with pytest.MonkeyPatch.context() as patch:
        application = keyed_app(tmp_path_factory.mktemp("shared"), patch)
        yield application
    application.extensions["certexam.engine"].dispose()


@pytest.fixture
def passphrase_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)


# -- issuing ---------------------------------------------------------------------------------------
def test_issue_registers_a_signed_certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              any_db_url: str) -> None:
    app = keyed_app(tmp_path, monkeypatch, any_db_url)
    user = make_holder(app, name_zh="欧阳明华", name_en="Ouyang Minghua")
    sitting_id = make_sitting(app, level=2)
    cert = issue(app, user, 2, "AI", sitting_id)
    assert cert.number == "SHMFTPP-L2-2026-000001-" + cert.number[-1]
    assert parse_number(cert.number).serial == 1 and (cert.level, cert.year) == (2, 2026)
    assert (cert.holder_name_zh, cert.holder_name_en, cert.direction) == ("欧阳明华", "Ouyang Minghua", "AI")
    assert cert.status == "valid" and cert.pdf_path is None
    with app.app_context():
        assert cert.key_id == keys.signing_store().active_signing_key().kid
        outcome = cert_verify.check_token(cert.token)
        again = certificates.issue_certificate(None, user.id, 2, "AI", sitting_id, PASSED, ISSUED, with_pdf=False)
        assert again.id == cert.id  # idempotent: one certificate per holder, level and sitting
        count = db.session().scalar(select(func.count()).select_from(Certificate))
        actions = db.session().scalars(select(AuditEntry.action)).all()
    assert outcome.code is VerdictCode.VALID and outcome.signature_ok and outcome.number == cert.number
    assert (outcome.level, outcome.direction, outcome.issued_on) == (2, "AI", ISSUED)
    assert count == 1 and actions.count("certificate.issue") == 1
    app.extensions["certexam.engine"].dispose()


def test_concurrent_issues_give_one_certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               any_db_url: str) -> None:
    """A results release and `certs issue` racing for the same holders: one certificate each."""
    app = keyed_app(tmp_path, monkeypatch, any_db_url)
    users = [make_holder(app), make_holder(app)]
    barrier = threading.Barrier(4)
    numbers: list[str] = []

    def worker(user: User) -> None:
        with app.app_context():
            barrier.wait()
            numbers.append(certificates.issue_certificate(None, user.id, 1, None, None, PASSED, ISSUED,
                                                          with_pdf=False).number)

    threads = [threading.Thread(target=worker, args=(u,)) for u in users * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with app.app_context():
        rows = db.session().execute(select(Certificate.user_id, Certificate.serial)).all()
    assert len(numbers) == 4 and len(set(numbers)) == 2
    assert sorted(serial for _, serial in rows) == [1, 2] and {u for u, _ in rows} == {u.id for u in users}
    app.extensions["certexam.engine"].dispose()


def test_serials_run_per_level_and_year(app: Flask) -> None:
    user = make_holder(app)
    numbers = [issue(app, user, level, "BD" if level == 2 else None, make_sitting(app, level), issued_on=day).number
               for level, day in [(1, ISSUED), (1, ISSUED), (2, ISSUED), (1, date(2027, 1, 4)), (2, ISSUED)]]
    assert [(parse_number(n).level, parse_number(n).year, parse_number(n).serial) for n in numbers] == [
        (1, 2026, 1), (1, 2026, 2), (2, 2026, 1), (1, 2027, 1), (2, 2026, 2)]


@pytest.mark.parametrize(("level", "direction", "passed", "name_en", "field"), [
    (3, None, PASSED, "Zhang San", "level"),  # no certificate is printed for levels 3 and 4 yet
    (1, "AI", PASSED, "Zhang San", "direction"),  # level 1 names no direction
    (2, None, PASSED, "Zhang San", "direction"),  # rules s.2: level 2 names its direction
    (2, "QUANTUM", PASSED, "Zhang San", "direction"),
    (1, None, ISSUED + timedelta(days=1), "Zhang San", "issued_on"),  # issued before the pass
    (1, None, PASSED, "Zhang San \U0001F600", "name"),  # the font cannot print it
])
def test_bad_requests_are_refused(shared: Flask, passphrase_env: None, level: int, direction: str | None, passed: date, name_en: str,
                                  field: str) -> None:
    user = make_holder(shared, name_en=name_en)
    with shared.app_context(), pytest.raises(UserError) as caught:
        certificates.issue_certificate(None, user.id, level, direction, None, passed, ISSUED, with_pdf=False)
    assert caught.value.field == field
    with shared.app_context():
        mine = select(func.count()).select_from(Certificate).where(Certificate.user_id == user.id)
        assert db.session().scalar(mine) == 0


def test_issue_for_sitting_is_idempotent_and_reports_progress(shared: Flask, passphrase_env: None) -> None:
    sitting_id = make_sitting(shared, level=2)
    ok1, ok2, no_direction = make_holder(shared), make_holder(shared), make_holder(shared)
    record_pass(shared, ok1.id, sitting_id, 2, "AI")
    record_pass(shared, ok2.id, sitting_id, 2, "CLD")
    record_pass(shared, no_direction.id, sitting_id, 2, None)
    seen: list[tuple[int, int]] = []
    errors: list[str] = []
    with shared.app_context():
        first = certificates.issue_for_sitting(sitting_id, None, lambda d, t: seen.append((d, t)), errors=errors)
        second = certificates.issue_for_sitting(sitting_id, None)
        assert first[0].pdf_path is None  # by default the PDF waits for the first download
        made = cert_pdf.pdf_bytes(first[0])
        stored = db.session().get(Certificate, first[0].id)
        assert stored is not None and stored.pdf_path == cert_pdf.pdf_relative_path(first[0].number)
        root = keys.root_certificate()
        assert root is not None and verify_pdf(made, [root]).ok
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert [c.user_id for c in first] == [ok1.id, ok2.id] and [c.direction for c in first] == ["AI", "CLD"]
    assert len(errors) == 1 and str(no_direction.id) in errors[0]
    assert [c.id for c in second] == [c.id for c in first]


def test_pdf_is_stored_signed_and_carries_the_verify_url(shared: Flask, passphrase_env: None) -> None:
    user = make_holder(shared, name_zh="陳大文", name_en="Chan Tai Man", photo=photo_bytes())
    cert = issue(shared, user, with_pdf=True)
    path = Path(shared.instance_path) / (cert.pdf_path or "")
    assert path.name == f"{cert.number}.pdf" and path.is_file()
    data = path.read_bytes()
    with shared.app_context():
        root = keys.root_certificate()
        assert root is not None and verify_pdf(data, [root]).ok
        assert url_in_pdf(data) == cert_pdf.verify_url(cert.token)
        assert cert_pdf.certificate_print(cert).photo is not None  # the registration photo is printed
        assert cert_pdf.pdf_bytes(cert) == data  # served as stored, not rendered again
        assert url_in_pdf(data) == f"HTTPS://{shared.config['VERIFY_HOST'].upper()}/V/{cert.token}"


# -- verification --------------------------------------------------------------------------------
def test_every_changed_byte_of_the_token_is_detected(shared: Flask, passphrase_env: None) -> None:
    cert = issue(shared, make_holder(shared))
    raw = decode_base32(cert.token)
    with shared.app_context():
        assert cert_verify.check_token(cert.token).valid
        accepted = [i for i in range(len(raw)) for mask in (0x01, 0x80)
                    if cert_verify.check_token(encode_base32(raw[:i] + bytes([raw[i] ^ mask]) + raw[i + 1:])).valid]
        changed_chars = [cert.token[:i] + ("A" if c != "A" else "B") + cert.token[i + 1:]
                         for i, c in enumerate(cert.token)]
        accepted += [t for t in changed_chars if cert_verify.check_token(t).valid]
    assert accepted == []


def test_unknown_and_compromised_keys_are_rejected(app: Flask) -> None:
    user = make_holder(app)
    cert = issue(app, user)
    foreign = new_key()
    claims = CertificateClaims.for_holder(cert.number, cert.holder_name_zh, cert.holder_name_en, cert.issued_on)
    forged = sign_token(claims, SigningKey(make_kid(foreign.public_key()), foreign))
    with app.app_context():
        assert cert_verify.check_token(forged).code is VerdictCode.INVALID_TOKEN
        assert cert_verify.check_token(forged).signature_reason == "unknown_kid"
        keys.compromise_key(None, cert.key_id, datetime.now(UTC))
        outcome = cert_verify.check_token(cert.token)
    assert outcome.code is VerdictCode.KEY_COMPROMISED and not outcome.valid and outcome.masked_zh == ""


def test_after_rotation_old_certificates_still_verify(app: Flask) -> None:
    old = issue(app, make_holder(app))
    with app.app_context():
        new_kid = keys.rotate_keys(None, KEYS_CREATED + timedelta(days=30))
    new = issue(app, make_holder(app))
    with app.app_context():
        assert (old.key_id != new.key_id == new_kid)
        assert cert_verify.check_token(old.token).code is VerdictCode.VALID
        assert cert_verify.check_token(new.token).code is VerdictCode.VALID
        published = {k["kid"]: k["status"] for k in keys.published_jwks()["keys"]}  # type: ignore[index]
    assert published == {old.key_id: "retired", new.key_id: "active"}


def test_verification_never_touches_a_private_key(shared: Flask, passphrase_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    cert = issue(shared, make_holder(shared))

    def refuse(*_args: object) -> None:
        raise AssertionError("a private key was read on the verification path")

    monkeypatch.setattr(KeyStore, "_read_private", refuse)
    monkeypatch.delenv(PASSPHRASE_ENV)
    with shared.app_context():
        assert cert_verify.check_token(cert.token).valid
        assert cert_verify.lookup(cert.number, "Zhang") is not None


def test_public_store_cannot_decrypt(shared: Flask, passphrase_env: None) -> None:
    with shared.app_context(), pytest.raises(WrongPassphraseError):
        keys.public_store().active_signing_key()


@pytest.mark.parametrize(("name_zh", "name_en"), [("张三明", "Zhang Sanming"), ("王芳", "Wang Fang"),
                                                  ("欧阳明华", "Ouyang Minghua"), ("苏安娜", "Ana Sousa")])
def test_masked_outcome_never_carries_the_full_name(shared: Flask, passphrase_env: None, name_zh: str, name_en: str) -> None:
    cert = issue(shared, make_holder(shared, name_zh=name_zh, name_en=name_en))
    with shared.app_context():
        outcomes = [cert_verify.check_token(cert.token), cert_verify.check_token(cert.token, "Someone Else"),
                    cert_verify.lookup(cert.number, name_en.split(maxsplit=1)[0])]
        matched = cert_verify.check_token(cert.token, name_en.upper())
    for outcome in outcomes:
        assert outcome is not None and outcome.name_zh is None and outcome.name_en is None
        assert name_zh not in repr(outcome) and name_en not in repr(outcome)
        assert outcome.masked_zh.startswith(name_zh[0]) and "*" in outcome.masked_en
    assert outcomes[1].name_check is False
    assert matched.name_check is True and (matched.name_zh, matched.name_en) == (name_zh, name_en)


@pytest.mark.parametrize(("typed", "expected"), [
    ("ouyang", True), (" OUYANG ", True), ("Ouyang", True), ("ｏｕｙａｎｇ", True),  # full-width letters fold (NFKC)
    ("Minghua", False), ("Minghua Ouyang", False), ("欧阳", False), ("欧阳明华", False), ("Ou", False), ("", False),
])
def test_surname_matching(typed: str, expected: bool) -> None:
    """Issue 19.11: the family-name field alone, case-folded; no other word of the name."""
    assert cert_verify.surname_matches(typed, "Ouyang") is expected
    assert cert_verify.surname_matches(typed, "") is False


def test_lookup_matches_the_family_name_only(shared: Flask, passphrase_env: None) -> None:
    """Issue 19.11: "Tai" and "Man" found "Chan Tai Man" before; now only "Chan" does, case-folded."""
    cert = issue(shared, make_holder(shared, name_zh="陳大文", name_en="Chan Tai Man", name_family="Chan"))
    costa = issue(shared, make_holder(shared, name_zh="高美娜", name_en="Maria Fernanda Pereira da Costa",
                                      name_family="Pereira da Costa"))
    with shared.app_context():
        assert cert.holder_name_family == "Chan"
        for typed in ("Tai", "Man", "Tai Man", "Chan Tai Man", "陳", "陳大文"):
            assert cert_verify.lookup(cert.number, typed) is None, typed
        for typed in ("chan", "CHAN", " Chan "):
            assert cert_verify.lookup(cert.number, typed) is not None, typed
        assert cert_verify.lookup(costa.number, "pereira da costa") is not None
        for typed in ("Costa", "Maria", "Fernanda"):
            assert cert_verify.lookup(costa.number, typed) is None, typed


def test_lookup_needs_a_known_number_and_the_surname(shared: Flask, passphrase_env: None) -> None:
    cert = issue(shared, make_holder(shared, name_zh="李明", name_en="Li Ming"))
    with shared.app_context():
        assert cert_verify.lookup(cert.number.lower(), "Li") is not None
        assert cert_verify.lookup(f" {cert.number} ", "li") is not None
        assert cert_verify.lookup(cert.number, "李") is None  # the family-name field is as in the English name
        assert cert_verify.lookup(cert.number, "Wang") is None
        wrong_check = cert.number[:-1] + ("0" if cert.number[-1] != "0" else "1")
        assert cert_verify.lookup(wrong_check, "Li") is None
        assert cert_verify.lookup(format_number(1, 2026, 999_999), "Li") is None  # well-formed, not issued


# -- status changes and re-issue -----------------------------------------------------------------
@pytest.mark.parametrize(("steps", "final", "refused"), [
    ([cert_admin.REVOKE], VerdictCode.REVOKED, None),
    ([cert_admin.SUSPEND], VerdictCode.SUSPENDED, None),
    ([cert_admin.SUSPEND, cert_admin.REINSTATE], VerdictCode.VALID, None),
    ([cert_admin.SUSPEND, cert_admin.REVOKE], VerdictCode.REVOKED, None),
    ([cert_admin.REVOKE, cert_admin.REINSTATE], VerdictCode.REVOKED, cert_admin.REINSTATE),  # revocation is final
    ([cert_admin.REINSTATE], VerdictCode.VALID, cert_admin.REINSTATE),
    ([cert_admin.SUSPEND, cert_admin.SUSPEND], VerdictCode.SUSPENDED, cert_admin.SUSPEND),
])
def test_status_changes_show_at_once(shared: Flask, passphrase_env: None, steps: list[str], final: VerdictCode, refused: str | None) -> None:
    cert = issue(shared, make_holder(shared))
    with shared.app_context():
        for n, step in enumerate(steps):
            if step == refused and n == len(steps) - 1:
                with pytest.raises(Conflict):
                    cert_admin.change_status(None, cert.number, step, "test")
            else:
                cert_admin.change_status(None, cert.number, step, f"internal reason {n}")
        outcome = cert_verify.check_token(cert.token)
        problems = audit.verify(db.session())[1]
    assert outcome.code is final and outcome.valid is (final is VerdictCode.VALID)
    if final is not VerdictCode.VALID:
        assert outcome.verdict.since == clock.today()
    assert "internal reason" not in repr(outcome)  # the reason never leaves the register
    assert problems == []


def test_status_change_needs_a_reason_and_a_known_action(shared: Flask, passphrase_env: None) -> None:
    cert = issue(shared, make_holder(shared))
    with shared.app_context():
        with pytest.raises(UserError):
            cert_admin.change_status(None, cert.number, cert_admin.REVOKE, "   ")
        with pytest.raises(UserError):
            cert_admin.change_status(None, cert.number, "delete", "why")
        assert cert_verify.check_token(cert.token).valid


def test_reissue_after_a_name_correction(shared: Flask, passphrase_env: None) -> None:
    user = make_holder(shared, name_zh="张三", name_en="Zhang San")
    old = issue(shared, user)
    with shared.app_context():
        new = cert_admin.reissue(None, old.number, "张三明", "Zhang Sanming", "typo in the registration")
        old_outcome = cert_verify.check_token(old.token)
        new_outcome = cert_verify.check_token(new.token, "张三明")
        holder = db.session().get(User, user.id)
        assert holder is not None and (holder.name_zh, holder.name_en) == ("张三明", "Zhang Sanming")
        current = certificates.issue_certificate(None, user.id, 1, None, None, PASSED, ISSUED, with_pdf=False)
        actions = db.session().scalars(select(AuditEntry.action)).all()
        with pytest.raises(Conflict):
            cert_admin.reissue(None, old.number, "张三丰", "Zhang Sanfeng", "again")
        with pytest.raises(UserError):
            cert_admin.reissue(None, new.number, "张三明", "Zhang Sanming", "no change")
    assert new.number != old.number and new.pdf_path is not None
    assert old_outcome.code is VerdictCode.REVOKED and old_outcome.replaced_by == new.number
    assert new_outcome.valid and new_outcome.name_check and new_outcome.name_zh == "张三明"
    assert current.id == new.id  # issuing again yields the current certificate, not a third one
    assert {"certificate.reissue", "user.name_correct"} <= set(actions)


# -- the key passphrase --------------------------------------------------------------------------
def test_development_passphrase_is_generated_once_with_mode_0600(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    app = make_app(tmp_path)
    with app.app_context():
        first, source = keys.passphrase()
        again, _ = keys.passphrase()
        kid = keys.init_keys(None, datetime.now(UTC))
        assert keys.signing_store().active_signing_key().kid == kid
    path = Path(source)
    assert path == Path(app.instance_path) / keys.PASSPHRASE_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and first == again and len(first) >= 32
    app.config["PRODUCTION"] = True
    with app.app_context(), pytest.raises(KeyStoreError, match=PASSPHRASE_ENV):
        keys.passphrase()
    monkeypatch.setenv(PASSPHRASE_ENV, "production passphrase 42")
    with app.app_context():
        assert keys.passphrase() == (b"production passphrase 42", PASSPHRASE_ENV)
    app.extensions["certexam.engine"].dispose()
