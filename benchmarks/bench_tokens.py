"""Cost of signing and verifying QR tokens, next to the bare ECDSA operation.

Run:  .venv/bin/python benchmarks/bench_tokens.py [--sign 1000] [--verify 10000]

Signs N tokens and verifies M, and in the same run times the bare P-256 ECDSA
sign / verify over a message of the size of the token's Sig_structure, so the
ratio shows what the COSE/CBOR/base32 wrapping costs on this machine.  Bare and
wrapped operations are timed in alternating rounds, so both see the same load
(a shared box is noisy), and the ratio is taken per round.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

import cryptography
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from certexam.crypto.cose import CertificateClaims, decode_base32, sign_token, verify_token
from certexam.crypto.jwks import KeyStatus, SigningKey, VerificationKey, make_kid
from certexam.domain.certno import format_number

ROUNDS = 7  # alternating rounds per pair; medians are reported


def _time(count: int, work: Callable[[int], object]) -> float:
    start = time.perf_counter()
    for i in range(count):
        work(i)
    return (time.perf_counter() - start) / count


def _pair(label: str, count: int, bare: Callable[[int], object], wrapped: Callable[[int], object]) -> None:
    """Print the median per-op cost of ``bare`` and ``wrapped`` and the median per-round ratio."""
    bare_s, wrapped_s, ratios = [], [], []
    for _ in range(ROUNDS):
        b = _time(count, bare)
        w = _time(count, wrapped)
        bare_s.append(b)
        wrapped_s.append(w)
        ratios.append(w / b)
    print(
        f"{label:<46} bare {statistics.median(bare_s) * 1e6:6.1f} us  "
        f"token {statistics.median(wrapped_s) * 1e6:6.1f} us  "
        f"ratio {statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})  "
        f"[{count} ops x {ROUNDS}]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sign", type=int, default=1000)
    parser.add_argument("--verify", type=int, default=10000)
    args = parser.parse_args()

    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key()
    key = SigningKey(make_kid(public), private)
    keys = [VerificationKey(key.kid, public, KeyStatus.ACTIVE, datetime.now(UTC))]
    claims = [
        CertificateClaims.for_holder(
            format_number(2, 2026, i + 1),
            "欧阳明华",
            "Christopher Alexander Montgome",
            date(2026, 3, 15),
            "AI",
        )
        for i in range(args.sign)
    ]
    tokens = [sign_token(c, key) for c in claims]
    tampered = [t[:100] + ("A" if t[100] != "A" else "B") + t[101:] for t in tokens]
    assert all(verify_token(t, keys).valid for t in tokens)
    assert not any(verify_token(t, keys).valid for t in tampered)

    algorithm = ec.ECDSA(hashes.SHA256())
    message = b"\x00" * (len(decode_base32(tokens[0])) - 64 + 16)  # about the Sig_structure's size
    bare_signature = private.sign(message, algorithm)

    print(
        f"python {platform.python_version()}, cryptography {cryptography.__version__}, {platform.machine()}"
    )
    print(f"token: {len(tokens[0])} base32 chars, {len(decode_base32(tokens[0]))} bytes")
    _pair(
        "sign_token vs ECDSA sign",
        args.sign,
        lambda i: private.sign(message, algorithm),
        lambda i: sign_token(claims[i], key),
    )
    _pair(
        "verify_token (genuine) vs ECDSA verify",
        args.verify,
        lambda i: public.verify(bare_signature, message, algorithm),
        lambda i: verify_token(tokens[i % len(tokens)], keys),
    )
    _pair(
        "verify_token (1 char changed) vs ECDSA verify",
        args.verify,
        lambda i: public.verify(bare_signature, message, algorithm),
        lambda i: verify_token(tampered[i % len(tampered)], keys),
    )


if __name__ == "__main__":
    main()
