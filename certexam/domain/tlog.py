"""The transparency log's texts (issue 20.5): leaves, checkpoints and signed notes; pure functions.

- A leaf is the canonical JSON of one event (sorted keys, no spaces, UTF-8): a certificate's issue
  or status change (number, action, status, kid, time, SHA-256 of the token), a signing key's event,
  or an anchor of the audit log's head.  Anyone can rebuild a leaf's hash from what it says.
- A checkpoint is a C2SP tlog-checkpoint: origin line, tree size, base64 root hash, each ending in a
  newline (https://c2sp.org/tlog-checkpoint).
- A signed note is a C2SP signed-note: the text, a blank line, then one line per signature
  "— <key name> <base64(key ID || signature)>"; for Ed25519 the key ID is the first four bytes of
  SHA-256(name || 0x0A || 0x01 || public key) (https://c2sp.org/signed-note).  The signature itself is
  made and checked in certexam/crypto/note.py, which holds the Ed25519 code.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from certexam.domain.merkle import HASH_SIZE

ED25519_TYPE = b"\x01"  # C2SP signed-note "Signature types": 0x01 is Ed25519
KEY_ID_SIZE = 4
SIGNATURE_DASH = "\u2014 "  # em dash, space: how every signature line begins
MAX_NOTE_BYTES = 1_000_000  # signed-note: verifiers MAY reject larger notes; ours are ~200 bytes

ISSUE_TOLERANCE = timedelta(days=2)
"""How long a certificate's issue date may precede its first log entry before a verifier rejects it
(issue 20.5, backdating). Issuing logs in the same transaction, so a genuine certificate is logged on
its issue date; two days cover an issue date set for the next morning in Beijing and a day of clock
skew. A certificate dated in 2022 and first logged in 2026 is refused."""

LeafKind = str  # "certificate" | "key" | "audit"


class NoteError(ValueError):
    """A checkpoint or signed note that does not parse; the message says what is wrong."""


def utc_text(at: datetime) -> str:
    """A time as the log writes it: UTC, whole seconds, a Z suffix."""
    if at.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical(value: dict[str, object]) -> bytes:
    """The leaf's bytes: JSON with sorted keys and no spaces, so anyone re-encodes it identically."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def certificate_leaf(number: str, action: str, status: str, kid: str, at: datetime, token: str) -> bytes:
    """An issuance or status change of a certificate; the token is named by its SHA-256 only."""
    return canonical({"type": "certificate", "number": number, "action": action, "status": status,
                      "kid": kid, "time": utc_text(at),
                      "token_sha256": hashlib.sha256(token.encode("ascii")).hexdigest()})


def key_leaf(action: str, kid: str, at: datetime) -> bytes:
    """A signing key's event: init, rotate, retire or compromise."""
    return canonical({"type": "key", "action": action, "kid": kid, "time": utc_text(at)})


def audit_leaf(seq: int, head_hash: str, at: datetime) -> bytes:
    """An anchor of the audit log: its head (last sequence number and hash) at `at`."""
    return canonical({"type": "audit", "audit_seq": seq, "audit_hash": head_hash, "time": utc_text(at)})


def read_leaf(data: bytes) -> dict[str, object]:
    """A leaf's fields."""
    value = json.loads(data.decode("utf-8"))
    if not isinstance(value, dict):
        raise NoteError("a leaf is a JSON object")
    return value


def issued_in_time(issued_on: date, first_logged_on: date | None, tolerance: timedelta = ISSUE_TOLERANCE) -> bool:
    """Whether a certificate dated `issued_on` was logged soon enough (dates in Asia/Shanghai).

    None (never logged) fails: every certificate is logged in the transaction that issues it.
    """
    return first_logged_on is not None and first_logged_on - issued_on <= tolerance


# -- checkpoints ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        """The checkpoint body (the note text that is signed)."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode('ascii')}\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """Read a checkpoint body (extension lines after the third are allowed and ignored)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("a checkpoint has an origin, a size and a root hash, each on its own line")
    origin, size_s, root_s = lines[0], lines[1], lines[2]
    if not origin:
        raise NoteError("the checkpoint's origin line is empty")
    if not size_s.isdigit() or (size_s != "0" and size_s.startswith("0")):
        raise NoteError("the tree size is not a decimal number")
    try:
        root = base64.b64decode(root_s, validate=True)
    except binascii.Error as exc:
        raise NoteError("the root hash is not base64") from exc
    if len(root) != HASH_SIZE:
        raise NoteError("the root hash is not 32 bytes")
    return Checkpoint(origin, int(size_s), root)


# -- signed notes --------------------------------------------------------------------------------

def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key ID of an Ed25519 key (C2SP signed-note, "Signatures")."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + ED25519_TYPE + public_key).digest()[:KEY_ID_SIZE]


def verifier_key(name: str, public_key: bytes) -> str:
    """The verifier key string: name+hex key ID+base64(0x01 || key), as Go's note package writes it."""
    b64 = base64.b64encode(ED25519_TYPE + public_key).decode("ascii")
    return f"{name}+{key_id(name, public_key).hex()}+{b64}"


def check_key_name(name: str) -> str:
    """A key name is non-empty UTF-8 with no spaces and no plus sign (signed-note)."""
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError("a key name is non-empty and has no spaces or plus signs")
    return name


def signature_line(name: str, public_key: bytes, signature: bytes) -> str:
    """One signature line, ending in a newline."""
    blob = base64.b64encode(key_id(name, public_key) + signature).decode("ascii")
    return f"{SIGNATURE_DASH}{check_key_name(name)} {blob}\n"


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes


def split_note(note: str) -> tuple[str, list[NoteSignature]]:
    """The signed text and its signatures (each still to be checked against a known key)."""
    if len(note.encode("utf-8")) > MAX_NOTE_BYTES:
        raise NoteError("the note is too large")
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise NoteError("a note has no control characters other than newline")
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise NoteError("a signed note is text, a blank line, then signature lines")
    text, block = note[:cut + 1], note[cut + 2:]
    signatures = []
    for line in block.removesuffix("\n").split("\n"):
        if not line.startswith(SIGNATURE_DASH):
            raise NoteError("a signature line begins with an em dash and a space")
        name, _, blob = line.removeprefix(SIGNATURE_DASH).rpartition(" ")
        try:
            raw = base64.b64decode(blob, validate=True)
        except binascii.Error as exc:
            raise NoteError("a signature is not base64") from exc
        if not name or len(raw) <= KEY_ID_SIZE:
            raise NoteError("a signature line names its key and carries a key ID and a signature")
        signatures.append(NoteSignature(name, raw[:KEY_ID_SIZE], raw[KEY_ID_SIZE:]))
    return text, signatures
