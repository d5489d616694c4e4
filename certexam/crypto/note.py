"""Ed25519 signed notes (C2SP signed-note) for the transparency log's checkpoints (issue 20.5).

The text formats live in certexam/domain/tlog.py; this module adds the signature, which needs the
`cryptography` package.  The log's key is its own Ed25519 key, never a token or PDF key: a checkpoint
is read by witnesses and verifiers that speak signed notes, and those expect Ed25519.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from certexam.domain.tlog import NoteError, key_id, signature_line, split_note


def raw_public(key: Ed25519PublicKey) -> bytes:
    """The 32-byte public key (RFC 8032 encoding)."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sign_note(text: str, name: str, key: Ed25519PrivateKey) -> str:
    """The signed note: `text` (ending in a newline), a blank line, one signature line."""
    if not text.endswith("\n"):
        raise NoteError("a note's text ends in a newline")
    signature = key.sign(text.encode("utf-8"))
    return text + "\n" + signature_line(name, raw_public(key.public_key()), signature)


def open_note(note: str, name: str, public_key: bytes) -> str:
    """The note's text once the signature of the key (`name`, `public_key`) verifies; else NoteError.

    Signatures of other keys are ignored, as the spec asks; a failing signature of this key rejects
    the whole note, and so does a note with no signature of this key.
    """
    text, signatures = split_note(note)
    wanted = key_id(name, public_key)
    verifier = Ed25519PublicKey.from_public_bytes(public_key)
    found = False
    for sig in signatures:
        if sig.name != name or sig.key_id != wanted:
            continue
        try:
            verifier.verify(sig.signature, text.encode("utf-8"))
        except InvalidSignature as exc:
            raise NoteError(f"the signature of {name} does not verify") from exc
        found = True
    if not found:
        raise NoteError(f"the note carries no signature of {name}")
    return text
