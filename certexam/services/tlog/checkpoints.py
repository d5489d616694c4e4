"""The log's signing key and its signed checkpoints (issue 20.5; C2SP tlog-checkpoint, signed-note).

The log signs with its own Ed25519 key, kept with the body's other keys in <instance>/keys and
encrypted with the same passphrase (services/certificates/keys.py): tlog-ed25519.key.pem (0600) and
its public half tlog-ed25519.pub, which verifiers get as a verifier key at /log/key. It is made on
first use. Checkpoints are signed when someone needs one newer than the last (the public pages, the
hourly anchor, a release), not at every append, so a key problem never stops issuing a certificate;
every checkpoint signed is kept, so any published head can later be proved a prefix of today's.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from sqlalchemy import select

from certexam import db
from certexam.crypto.keystore import KeyStoreError
from certexam.crypto.note import raw_public, sign_note
from certexam.domain import tlog as T
from certexam.models import TlogCheckpoint
from certexam.services.certificates import keys
from certexam.services.platform import clock
from certexam.services.tlog import log

KEY_FILE, PUBLIC_FILE = "tlog-ed25519.key.pem", "tlog-ed25519.pub"
DEFAULT_ORIGIN = "certexam.example/shmftpp/tlog"
"""The log's name: its checkpoints' origin line and its key's name (signed-note recommends a
schema-less URL; it need not be reachable). Set TLOG_ORIGIN to the body's own domain in production;
it must never change once checkpoints are published."""

_key_cache: dict[Path, tuple[int, Ed25519PrivateKey]] = {}


def origin() -> str:
    """The log's origin, also the name of its key."""
    return T.check_key_name(str(current_app.config.get("TLOG_ORIGIN") or DEFAULT_ORIGIN))


def public_key() -> bytes | None:
    """The log's 32-byte Ed25519 public key; None before the first checkpoint."""
    path = keys.keys_dir() / PUBLIC_FILE
    return base64.b64decode(path.read_text("ascii").strip()) if path.exists() else None


def verifier_key() -> str | None:
    """The verifier key string (name+id+key) that checks the log's checkpoints."""
    pub = public_key()
    return None if pub is None else T.verifier_key(origin(), pub)


def _signing_key() -> Ed25519PrivateKey:
    """Load the log's key (decrypting once per process), making it on first use."""
    folder = keys.keys_dir()
    path = folder / KEY_FILE
    secret = keys.passphrase()[0]
    if not path.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.BestAvailableEncryption(secret))
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
            (folder / PUBLIC_FILE).write_text(base64.b64encode(raw_public(key.public_key())).decode() + "\n")
    stamp = path.stat().st_mtime_ns
    cached = _key_cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=secret)
    except ValueError as exc:
        raise KeyStoreError(f"the passphrase does not decrypt {path}") from exc
    if not isinstance(loaded, Ed25519PrivateKey):
        raise KeyStoreError(f"{path} is not an Ed25519 key")
    public = folder / PUBLIC_FILE
    if not public.exists():  # a process that made the key stopped before writing its public half
        public.write_text(base64.b64encode(raw_public(loaded.public_key())).decode() + "\n")
    _key_cache[path] = (stamp, loaded)
    return loaded


def latest() -> TlogCheckpoint | None:
    """The newest checkpoint signed."""
    return db.session().scalar(select(TlogCheckpoint).order_by(TlogCheckpoint.size.desc()).limit(1))


def at_size(tree_size: int) -> TlogCheckpoint | None:
    """The checkpoint signed for this size, if one was."""
    return db.session().get(TlogCheckpoint, tree_size)


@db.use_case
def publish() -> TlogCheckpoint | None:
    """Sign a checkpoint of the whole log unless the newest already covers it; None for an empty log."""
    sess = db.session()
    size = log.locked_size(sess)  # locked: the size cannot move while it is signed
    newest = latest()
    if newest is not None and newest.size >= size:
        return newest
    if size == 0:
        return None
    root = log.root(sess, size)
    note = sign_note(T.Checkpoint(origin(), size, root).text(), origin(), _signing_key())
    checkpoint = TlogCheckpoint(size=size, root=root.hex(), note=note, signed_at=clock.now())
    sess.add(checkpoint)
    return checkpoint


@dataclass(frozen=True)
class Current:
    """The checkpoint to show and whether it covers every leaf (False: it could not be signed now)."""

    checkpoint: TlogCheckpoint | None
    complete: bool


def current() -> Current:
    """The newest checkpoint, signing one first when leaves were added since (the public pages' read).

    A key problem (no passphrase on this server) leaves the last one: older, but still true.
    """
    size = log.size(db.session())
    newest = latest()
    if newest is not None and newest.size >= size:
        return Current(newest, True)
    try:
        made = publish()
    except KeyStoreError:
        current_app.logger.exception("cannot sign a transparency-log checkpoint")
        return Current(latest(), False)
    return Current(made, made is not None and made.size >= size)
