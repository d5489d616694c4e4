#!/usr/bin/env python3
"""Check a certexam certificate's transparency-log proofs without certexam (issue 20.5, docs/verify.md).

Needs only Python's standard library and the `cryptography` package (for Ed25519). Give it the JSON that
https://<host>/log/proof/<number>.json or /v/<token>/proof.json serves, and the log's verifier key
(from https://<host>/log/key, obtained once and kept: it is what you trust). It checks

1. the checkpoint's signature (C2SP signed-note, Ed25519) with that key, and that its origin is the key's name;
2. that the JSON's tree size and root hash are the signed checkpoint's;
3. for every entry: leaf hash = SHA-256(0x00 || leaf bytes), and the RFC 9162 s.2.1.3.2 inclusion
   proof from that leaf to the signed root;
4. with --token-file, that the newest entry names the SHA-256 of the token you scanned;
5. with --issued-on (the date printed on the certificate), that the first entry was logged at most
   the stated tolerance after it (Asia/Shanghai days): a backdated certificate fails.

    python3 verify_inclusion.py proof.json --key 'certexam.example/shmftpp/tlog+1a2b3c4d+AXg...' \\
        [--token-file t] [--issued-on 2026-09-20]

Exit 0 when everything checks, 1 otherwise. This file is written from the specifications, not from
certexam's code, so it is a second, independent implementation.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def parse_verifier_key(vkey: str) -> tuple[str, bytes, bytes]:
    """name+hex key ID+base64(0x01 || 32-byte Ed25519 key) -> (name, key ID, public key)."""
    name, key_id_hex, blob = vkey.strip().split("+", 2)  # the base64 may itself hold "+"
    raw = base64.b64decode(blob)
    if len(raw) != 33 or raw[0] != 1:
        raise ValueError("not an Ed25519 verifier key")
    key_id = bytes.fromhex(key_id_hex)
    if hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4] != key_id:
        raise ValueError("the verifier key's ID does not match its key")
    return name, key_id, raw[1:]


def open_signed_note(note: str, name: str, key_id: bytes, public: bytes) -> str:
    """The note's text if a signature line of this key verifies (C2SP signed-note)."""
    cut = note.rindex("\n\n")
    text, lines = note[:cut + 1], note[cut + 2:].splitlines()
    for line in lines:
        if not line.startswith("\u2014 "):
            raise ValueError("malformed signature line")
        signer, _, blob = line[2:].rpartition(" ")
        raw = base64.b64decode(blob)
        if signer == name and raw[:4] == key_id:
            try:
                Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], text.encode("utf-8"))
            except InvalidSignature:
                raise ValueError("the checkpoint's signature does not verify") from None
            return text
    raise ValueError("the checkpoint carries no signature of this key")


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(leaf_hash: bytes, index: int, size: int, path: list[bytes]) -> bytes | None:
    """RFC 9162 s.2.1.3.2: the root an inclusion proof leads to, or None if the proof is malformed."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            return None
        if fn % 2 == 1 or fn == sn:
            r = node(p, r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn // 2, sn // 2
        else:
            r = node(r, p)
        fn, sn = fn // 2, sn // 2
    return r if sn == 0 else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("proof", help="the proof JSON file")
    ap.add_argument("--key", required=True, help="the log's verifier key (name+id+key)")
    ap.add_argument("--token-file", help="a file holding the scanned QR token, to match the newest entry")
    ap.add_argument("--issued-on", type=date.fromisoformat, help="the issue date on the certificate (YYYY-MM-DD)")
    args = ap.parse_args(argv)
    with open(args.proof, encoding="utf-8") as f:
        doc = json.load(f)
    ok = True
    name, key_id, public = parse_verifier_key(args.key)
    try:
        text = open_signed_note(doc["checkpoint"], name, key_id, public)
    except ValueError as exc:
        print(f"FAIL: {exc}")
        return 1
    origin, size_s, root_b64 = text.split("\n")[:3]
    size, root = int(size_s), base64.b64decode(root_b64)
    if origin != name or size != doc["tree_size"] or root_b64 != doc["root_hash"]:
        print("FAIL: the JSON's tree head is not the signed checkpoint's")
        return 1
    print(f"checkpoint signature OK: {origin}, {size} entries, root {root_b64}")
    for entry in doc["entries"]:
        leaf = entry["leaf"].encode("utf-8")
        leaf_hash = hashlib.sha256(b"\x00" + leaf).digest()
        fields = json.loads(leaf)
        label = f"entry {entry['leaf_index']}: {fields.get('action')} {fields.get('status', '')} at {fields.get('time')}"
        if "inclusion_path" not in entry:
            print(f"{label}: not yet in this checkpoint")
            continue
        path = [base64.b64decode(p) for p in entry["inclusion_path"]]
        included = root_from_inclusion(leaf_hash, entry["leaf_index"], size, path) == root
        ok = ok and included
        print(f"{label}: {'included OK' if included else 'FAIL (not included in the signed tree)'}")
    if args.token_file:
        with open(args.token_file, encoding="ascii") as f:
            token_hash = hashlib.sha256(f.read().strip().encode("ascii")).hexdigest()
        newest = json.loads(doc["entries"][-1]["leaf"])
        same = newest.get("token_sha256") == token_hash
        ok = ok and same
        print("token matches the newest entry OK" if same else "FAIL: the token is not the newest entry's")
    if args.issued_on:
        first = json.loads(doc["entries"][0]["leaf"])
        logged = datetime.fromisoformat(first["time"].replace("Z", "+00:00")).astimezone(ZoneInfo("Asia/Shanghai"))
        late = (logged.date() - args.issued_on).days
        in_time = late <= doc["issue_tolerance_days"]
        ok = ok and in_time
        print(f"first logged {logged.date()}, {late} day(s) after the issue date: "
              + ("OK" if in_time else f"FAIL (backdated: more than {doc['issue_tolerance_days']} days)"))
    print("ALL OK" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
