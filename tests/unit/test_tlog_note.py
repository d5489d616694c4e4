"""Checkpoints and signed notes of the transparency log (domain/tlog.py, crypto/note.py), per C2SP
tlog-checkpoint and signed-note; and the canonical leaves and the backdating tolerance."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certexam.crypto.note import open_note, raw_public, sign_note
from certexam.domain import tlog as T

NAME = "certexam.example/shmftpp/tlog"
ROOT = hashlib.sha256(b"root").digest()


def test_checkpoint_text_is_origin_size_root_each_on_a_line() -> None:
    text = T.Checkpoint(NAME, 42, ROOT).text()
    assert text == f"{NAME}\n42\n{base64.b64encode(ROOT).decode()}\n"
    assert T.parse_checkpoint(text) == T.Checkpoint(NAME, 42, ROOT)
    assert T.parse_checkpoint(text + "extension line\n").size == 42


@pytest.mark.parametrize("bad", ["", f"{NAME}\n42\n", f"{NAME}\n042\n{base64.b64encode(ROOT).decode()}\n",
                                 f"{NAME}\n-1\n{base64.b64encode(ROOT).decode()}\n", f"{NAME}\n1\nnot base64!\n",
                                 f"{NAME}\n1\n{base64.b64encode(b'short').decode()}\n",
                                 f"\n1\n{base64.b64encode(ROOT).decode()}\n"])
def test_bad_checkpoints_are_refused(bad: str) -> None:
    with pytest.raises(T.NoteError):
        T.parse_checkpoint(bad)


def test_key_id_and_verifier_key_follow_signed_note() -> None:
    key = Ed25519PrivateKey.generate()
    pub = raw_public(key.public_key())
    expected = hashlib.sha256(NAME.encode() + b"\n\x01" + pub).digest()[:4]
    assert T.key_id(NAME, pub) == expected
    name, kid, blob = T.verifier_key(NAME, pub).split("+", 2)
    assert (name, bytes.fromhex(kid), base64.b64decode(blob)) == (NAME, expected, b"\x01" + pub)


def test_a_signed_checkpoint_has_one_em_dash_line_and_verifies() -> None:
    key = Ed25519PrivateKey.generate()
    pub = raw_public(key.public_key())
    text = T.Checkpoint(NAME, 7, ROOT).text()
    note = sign_note(text, NAME, key)
    body, _, sigs = note.partition("\n\n")
    assert body + "\n" == text
    assert sigs.startswith(f"\u2014 {NAME} ") and sigs.endswith("\n") and sigs.count("\n") == 1
    raw = base64.b64decode(sigs.split(" ")[2])
    assert raw[:4] == T.key_id(NAME, pub) and len(raw) == 4 + 64
    key.public_key().verify(raw[4:], text.encode())  # what any Ed25519 library checks
    assert open_note(note, NAME, pub) == text


def test_altered_or_foreign_notes_are_refused() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    pub = raw_public(key.public_key())
    note = sign_note(T.Checkpoint(NAME, 7, ROOT).text(), NAME, key)
    with pytest.raises(T.NoteError):
        open_note(note.replace("\n7\n", "\n8\n"), NAME, pub)
    with pytest.raises(T.NoteError):  # signed by another key under the same name: no known signature
        open_note(sign_note(T.Checkpoint(NAME, 7, ROOT).text(), NAME, other), NAME, pub)
    with pytest.raises(T.NoteError):
        open_note(note.replace("\u2014", "-"), NAME, pub)
    # a second signature by an unknown key is ignored, as the spec asks
    cosigned = note + sign_note(T.Checkpoint(NAME, 7, ROOT).text(), "witness.example", other).split("\n\n")[1]
    assert open_note(cosigned, NAME, pub).startswith(NAME)


def test_leaves_are_canonical_and_name_the_token_by_its_hash() -> None:
    at = datetime(2026, 12, 7, 20, 1, 2, 999, tzinfo=UTC)
    leaf = T.certificate_leaf("SHMFTPP-L1-2026-000001-1", "issue", "valid", "k1", at, "TOKEN")
    fields = T.read_leaf(leaf)
    assert fields["time"] == "2026-12-07T20:01:02Z"
    assert fields["token_sha256"] == hashlib.sha256(b"TOKEN").hexdigest()
    assert T.canonical(fields) == leaf and b" " not in leaf
    assert T.read_leaf(T.audit_leaf(5, "ab" * 32, at))["audit_seq"] == 5


def test_backdating_tolerance() -> None:
    issued = date(2026, 12, 7)
    assert T.issued_in_time(issued, issued)
    assert T.issued_in_time(issued, issued + T.ISSUE_TOLERANCE)
    assert not T.issued_in_time(issued, issued + T.ISSUE_TOLERANCE + timedelta(days=1))
    assert not T.issued_in_time(date(2022, 5, 1), date(2026, 12, 7))
    assert not T.issued_in_time(issued, None)
