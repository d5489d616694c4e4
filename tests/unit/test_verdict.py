"""The public verification verdict, and the purity of the modules of this feature."""

import ast
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from certexam.domain.verdict import (
    CertificateRecord,
    CertStatus,
    SignatureCheck,
    Verdict,
    VerdictCode,
    decide,
)

NUMBER = "SHMFTPP-L2-2026-000123-2"
OTHER = "SHMFTPP-L2-2026-000124-0"
ISSUED = date(2026, 3, 15)
TODAY = date(2026, 6, 1)
GOOD = SignatureCheck(valid=True, reason="ok", number=NUMBER)


def record(status: CertStatus = CertStatus.VALID, **changes: object) -> CertificateRecord:
    fields: dict[str, object] = {"number": NUMBER, "status": status, "issued_on": ISSUED}
    fields.update(changes)
    return CertificateRecord(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("signature", "rec", "today", "expected"),
    [
        (GOOD, record(), TODAY, Verdict(VerdictCode.VALID, NUMBER)),
        (None, record(), TODAY, Verdict(VerdictCode.VALID, NUMBER)),  # number typed in, no token
        (
            GOOD,
            record(CertStatus.REVOKED, status_since=date(2026, 5, 2)),
            TODAY,
            Verdict(VerdictCode.REVOKED, NUMBER, since=date(2026, 5, 2)),
        ),
        (None, record(CertStatus.REVOKED), TODAY, Verdict(VerdictCode.REVOKED, NUMBER)),
        (
            GOOD,
            record(CertStatus.SUSPENDED, status_since=date(2026, 5, 3)),
            TODAY,
            Verdict(VerdictCode.SUSPENDED, NUMBER, since=date(2026, 5, 3)),
        ),
        (
            GOOD,
            record(CertStatus.EXPIRED, status_since=date(2026, 5, 4)),
            TODAY,
            Verdict(VerdictCode.EXPIRED, NUMBER, since=date(2026, 5, 4)),
        ),
        (GOOD, record(CertStatus.UNKNOWN), TODAY, Verdict(VerdictCode.UNKNOWN, NUMBER)),
        (GOOD, None, TODAY, Verdict(VerdictCode.UNKNOWN, NUMBER)),
        (None, None, TODAY, Verdict(VerdictCode.UNKNOWN)),
        (
            GOOD,
            record(number=OTHER),
            TODAY,
            Verdict(VerdictCode.MISMATCH, OTHER, detail="number differs from register"),
        ),
        (
            SignatureCheck(False, "bad_signature"),
            record(),
            TODAY,
            Verdict(VerdictCode.INVALID_TOKEN, detail="bad_signature"),
        ),
        (
            SignatureCheck(False, "malformed"),
            None,
            TODAY,
            Verdict(VerdictCode.INVALID_TOKEN, detail="malformed"),
        ),
        (
            SignatureCheck(False, "key_compromised"),
            record(),
            TODAY,
            Verdict(VerdictCode.KEY_COMPROMISED, detail="key_compromised"),
        ),
        # Expiry is inclusive: valid through the expiry date, expired the day after.
        (GOOD, record(expires_on=TODAY), TODAY, Verdict(VerdictCode.VALID, NUMBER)),
        (
            GOOD,
            record(expires_on=TODAY - timedelta(days=1)),
            TODAY,
            Verdict(VerdictCode.EXPIRED, NUMBER, since=TODAY - timedelta(days=1)),
        ),
        # The earlier of the register's and the token's expiry counts.
        (
            SignatureCheck(True, "ok", NUMBER, expires_on=date(2026, 5, 31)),
            record(expires_on=date(2027, 1, 1)),
            TODAY,
            Verdict(VerdictCode.EXPIRED, NUMBER, since=date(2026, 5, 31)),
        ),
        (GOOD, record(issued_on=TODAY), TODAY, Verdict(VerdictCode.VALID, NUMBER)),
        (
            GOOD,
            record(issued_on=TODAY + timedelta(days=1)),
            TODAY,
            Verdict(VerdictCode.NOT_YET_VALID, NUMBER, since=TODAY + timedelta(days=1)),
        ),
    ],
)
def test_verdict_table(
    signature: SignatureCheck | None, rec: CertificateRecord | None, today: date, expected: Verdict
) -> None:
    assert decide(signature, rec, today) == expected


SIGNATURES = [
    GOOD,
    None,
    SignatureCheck(False, "bad_signature"),
    SignatureCheck(False, "key_compromised"),
    SignatureCheck(True, "ok", OTHER),
]


@pytest.mark.parametrize("status", [s for s in CertStatus if s is not CertStatus.VALID])
@pytest.mark.parametrize("signature", SIGNATURES)
@pytest.mark.parametrize("expires_on", [None, TODAY, TODAY + timedelta(days=3650)])
def test_only_a_valid_register_entry_can_show_valid(
    status: CertStatus, signature: SignatureCheck | None, expires_on: date | None
) -> None:
    verdict = decide(signature, record(status, expires_on=expires_on), TODAY)
    assert not verdict.valid
    assert verdict.code is not VerdictCode.VALID


def test_revoked_never_shows_valid_even_with_a_good_signature() -> None:
    verdict = decide(GOOD, record(CertStatus.REVOKED, status_since=ISSUED), TODAY)
    assert verdict.code is VerdictCode.REVOKED
    assert verdict.valid is False


def test_valid_property_follows_the_code() -> None:
    assert Verdict(VerdictCode.VALID).valid
    assert not any(Verdict(code).valid for code in VerdictCode if code is not VerdictCode.VALID)


# --- purity of the domain modules of this feature --------------------------------------------

DOMAIN = Path(__file__).resolve().parents[2] / "certexam" / "domain"
MINE = ["certno.py", "masking.py", "verdict.py"]


@pytest.mark.parametrize("module", MINE)
def test_domain_module_imports_only_the_standard_library(module: str) -> None:
    tree = ast.parse((DOMAIN / module).read_text("utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    foreign = {
        name
        for name in imported
        if name.split(".")[0] not in sys.stdlib_module_names and not name.startswith("certexam.domain")
    }
    assert foreign == set()


@pytest.mark.parametrize("module", MINE)
def test_domain_module_reads_no_clock(module: str) -> None:
    source = (DOMAIN / module).read_text("utf-8")
    for clock in ("today()", "now(", "utcnow(", "time.time", "monotonic", "perf_counter"):
        assert clock not in source
