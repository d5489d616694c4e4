"""Issuing and verifying certificates end to end, next to the bare signature cost.

Run:  .venv/bin/python benchmarks/bench_certs.py [--count 1000] [--verify 10000]

Issues COUNT certificates through the real service on a throwaway instance
(SQLite, fresh keys): the register row with its signed token, then the QR
and PDF, the PAdES signature and the stored file, each step timed per
certificate.  Then verifies VERIFY tokens the way the public page does
(public keys, register lookup, verdict), and the bare token check alone.
The bare ECDSA P-256 sign and verify are timed in the same run, in rounds
interleaved with the work, so both see the same machine load; wall and
CPU time are both reported (the CPU column is steadier on a shared machine).  Holders are
inserted directly (their password hashing is not what is measured).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from certexam import create_app, db, migrate
from certexam.certpdf.qr import qr_matrix
from certexam.certpdf.render import render_certificate_pdf
from certexam.certpdf.sign import sign_pdf
from certexam.crypto.cose import verify_token
from certexam.crypto.keystore import PASSPHRASE_ENV
from certexam.models import Certificate, Role, User
from certexam.services.certificates import issue as certificates
from certexam.services.certificates import keys
from certexam.services.certificates import pdf as cert_pdf
from certexam.services.certificates import verify as cert_verify

BARE_BATCH = 200  # bare operations per interleaved round
NAMES = [("欧阳明华", "Christopher Alexander Montgome"), ("李明", "Li Ming"), ("陳大文", "Chan Tai Man")]


Timing = tuple[float, float]  # (wall seconds, CPU seconds of this process)


def _stats(label: str, samples: list[Timing], unit: float = 1e3, suffix: str = "ms") -> str:
    wall = sorted(w for w, _ in samples)
    p95 = wall[min(len(wall) - 1, int(len(wall) * 0.95))]
    cpu = statistics.median(c for _, c in samples)
    return (f"| {label} | {len(samples)} | {statistics.fmean(wall) * unit:.2f} {suffix} | "
            f"{statistics.median(wall) * unit:.2f} {suffix} | {p95 * unit:.2f} {suffix} | "
            f"{cpu * unit:.2f} {suffix} |")


def _timed(work: Callable[[], object]) -> tuple[Timing, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return (time.perf_counter() - wall, time.process_time() - cpu), result


def _median(samples: list[Timing], which: int) -> float:
    return statistics.median(sample[which] for sample in samples)


def _bare_round(private: ec.EllipticCurvePrivateKey, sig_message: bytes, out_sign: list[Timing],
                out_verify: list[Timing]) -> None:
    """One batch of bare signs and one of bare verifies; per-operation averages."""
    algorithm = ec.ECDSA(hashes.SHA256())
    public = private.public_key()
    signature = private.sign(sig_message, algorithm)
    (wall, cpu), _ = _timed(lambda: [private.sign(sig_message, algorithm) for _ in range(BARE_BATCH)])
    out_sign.append((wall / BARE_BATCH, cpu / BARE_BATCH))
    (wall, cpu), _ = _timed(lambda: [public.verify(signature, sig_message, algorithm) for _ in range(BARE_BATCH)])
    out_verify.append((wall / BARE_BATCH, cpu / BARE_BATCH))


def main() -> None:  # noqa: PLR0914 - a linear script
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--verify", type=int, default=10000)
    args = parser.parse_args()
    os.environ.setdefault(PASSPHRASE_ENV, "benchmark passphrase only")
    folder = Path(tempfile.mkdtemp(prefix="bench-certs-"))
    app = create_app({"INSTANCE_PATH": str(folder), "SECRET_KEY": "bench", "MAIL_BACKEND": "memory"})
    migrate.upgrade(app.config["DATABASE_URL"])
    steps: dict[str, list[Timing]] = {k: [] for k in ("total", "register", "qr", "render", "sign", "store")}
    bare_sign: list[Timing] = []
    bare_verify: list[Timing] = []
    private = ec.generate_private_key(ec.SECP256R1())
    with app.app_context():
        keys.init_keys(None, datetime.now(UTC))
        issuing = keys.issuing_keys()

        @db.use_case
        def holders() -> list[int]:
            sess = db.session()
            rows = [User(email=f"bench{i}@example.com", password_hash="x", role=Role.CANDIDATE,
                         name_zh=NAMES[i % 3][0], name_en=NAMES[i % 3][1],
                         name_family=NAMES[i % 3][1].split()[0], created_at=db.utcnow())
                     for i in range(args.count)]
            sess.add_all(rows)
            sess.flush()
            return [u.id for u in rows]

        user_ids = holders()
        tokens: list[str] = []
        sig_message = b""
        for n, user_id in enumerate(user_ids):
            t_register, cert = _timed(lambda uid=user_id: certificates.issue_certificate(
                None, uid, 2, "AI", None, date(2026, 5, 20), date(2026, 7, 15), issuing=issuing, with_pdf=False))
            assert isinstance(cert, Certificate)
            url = cert_pdf.verify_url(cert.token)
            t_qr, _ = _timed(lambda u=url: qr_matrix(u))
            t_render, pdf = _timed(lambda c=cert: render_certificate_pdf(cert_pdf.certificate_print(c)))
            t_sign, signed = _timed(lambda p=pdf: sign_pdf(p, issuing.pdf_key, issuing.pdf_cert, issuing.pdf_chain))
            t_store, _ = _timed(lambda c=cert, s=signed: cert_pdf.record_pdf(
                c.id, cert_pdf.write_pdf(c.number, s)))
            for name, value in (("register", t_register), ("qr", t_qr), ("render", t_render),
                                ("sign", t_sign), ("store", t_store)):
                steps[name].append(value)
            parts = (t_register, t_render, t_sign, t_store)
            steps["total"].append((sum(p[0] for p in parts), sum(p[1] for p in parts)))
            tokens.append(cert.token)
            sig_message = sig_message or bytes(len(cert.token) * 5 // 8 - 48)  # about the Sig_structure
            if n % 50 == 0:
                _bare_round(private, sig_message, bare_sign, bare_verify)
                print(f"issued {n + 1}/{args.count}", flush=True)
        public_keys = keys.verification_keys()
        page: list[Timing] = []
        bare_token: list[Timing] = []
        rounds = max(args.verify // 1000, 1)
        for r in range(rounds):
            batch = [tokens[(r * 1000 + i) % len(tokens)] for i in range(args.verify // rounds)]
            for token in batch:
                t, outcome = _timed(lambda tk=token: cert_verify.check_token(tk))
                assert outcome.valid  # type: ignore[attr-defined]
                page.append(t)
            for token in batch:
                t, _ = _timed(lambda tk=token: verify_token(tk, public_keys))
                bare_token.append(t)
            db.session().rollback()  # end the read transaction between rounds, as requests do
            _bare_round(private, sig_message, bare_sign, bare_verify)
    load = os.getloadavg()
    print(f"\npython {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {load[0]:.1f} at the end, instance {folder}")
    print("| step | n | wall mean | wall median | wall p95 | CPU median |\n|---|---|---|---|---|---|")
    labels = {"total": "issue, per certificate (register + token, QR + PDF, PAdES, store)",
              "register": "  register row + signed token (one transaction)",
              "qr": "  QR matrix alone (also inside render)",
              "render": "  render PDF (QR, layout, fonts)", "sign": "  PAdES signature (pyHanko)",
              "store": "  write file + record path"}
    for key, label in labels.items():
        print(_stats(label, steps[key]))
    print(_stats("verify, per token: public keys + register + verdict (the page's work)", page, 1e6, "us"))
    print(_stats("  verify_token alone (COSE + ECDSA)", bare_token, 1e6, "us"))
    print(_stats("bare ECDSA P-256 sign (cryptography)", bare_sign, 1e6, "us"))
    print(_stats("bare ECDSA P-256 verify (cryptography)", bare_verify, 1e6, "us"))
    for which, clock in ((0, "wall"), (1, "CPU")):
        sign_ratio = _median(steps["total"], which) / _median(bare_sign, which)
        verify_ratio = _median(page, which) / _median(bare_verify, which)
        print(f"{clock}: issue / bare sign {sign_ratio:,.0f}x; verify page work / bare verify {verify_ratio:.1f}x; "
              f"{1 / _median(steps['total'], which):.2f} certificates/s, "
              f"{1 / _median(page, which):,.0f} verifications/s per core")


if __name__ == "__main__":
    main()
