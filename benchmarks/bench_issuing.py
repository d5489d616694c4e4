"""CPU per issued certificate (issue 20.8): signed token, QR, PDF and PAdES signature, in one process.

Run:  .venv/bin/python benchmarks/bench_issuing.py [--count 300]

Each certificate has its own number, a version-2 token signed with a throwaway P-256 key (the QR's
content), a 1200x1600 JPEG photo and a Chinese name drawn from common surnames and given-name
characters, so the small name fonts of certpdf/fontcache.py are made when a character first appears
(as in a real release) and reused after. The bare ECDSA P-256 signature is timed in the same run.
Times are CPU (time.process_time) of this process, so other load on the machine inflates them less
than wall time. Prints a Markdown table; the figures live in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import statistics
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_certpdf import _certs, _photo  # noqa: E402  (the same throwaway chain and photo)

from certexam.certpdf import fontcache  # noqa: E402
from certexam.certpdf.render import CertificatePrint, render_certificate_pdf  # noqa: E402
from certexam.certpdf.sign import sign_pdf, verify_pdf  # noqa: E402
from certexam.crypto.claims import CertificateClaims  # noqa: E402
from certexam.crypto.cose import sign_token, verification_url  # noqa: E402
from certexam.crypto.jwks import SigningKey  # noqa: E402
from certexam.domain.certno import format_number  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程陳黃張劉楊趙鄭"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志文嘉欣俊豪詠詩家樂偉"


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _row(label: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"| {label} | {len(ms)} | {statistics.mean(ms):.2f} ms | {statistics.median(ms):.2f} ms | {p95:.2f} ms |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pdf_key, pdf_cert, root = _certs()
    token_key = SigningKey("bench", ec.generate_private_key(ec.SECP256R1()))
    photo = _photo()
    total, token_t, render_t, sign_t, with_new_glyphs, reused = [], [], [], [], [], []
    first: float | None = None
    sizes = []
    for i in range(args.count):
        name_zh = _name(rng)
        made_before = sum(len(g._single) for g in fontcache._instances.values())  # noqa: SLF001
        start = time.process_time()
        number = format_number(2, 2026, i + 1)
        claims = CertificateClaims.for_holder(number, name_zh, "CHAN Tai Man", dt.date(2026, 5, 20), "AI",
                                              dt.date(2029, 5, 19), status_index=i)
        token = sign_token(claims, token_key)
        t1 = time.process_time()
        data = CertificatePrint(
            number=number, holder_name_zh=name_zh, holder_name_en="CHAN Tai Man", level=2,
            sitting_zh="2026年3月", sitting_en="March 2026", issue_date=dt.date(2026, 5, 20),
            expiry=dt.date(2029, 5, 19), verify_url=verification_url("verify.certexam.example", token),
            issuer_name_zh="深港澳金融科技师专才计划认证机构", issuer_name_en="SHMFTPP Certification Body",
            direction_zh="人工智能", direction_en="Artificial intelligence", photo=photo)
        pdf = render_certificate_pdf(data)
        t2 = time.process_time()
        signed = sign_pdf(pdf, pdf_key, pdf_cert, [root])
        t3 = time.process_time()
        sizes.append(len(signed))
        if i == 0:
            first = t3 - start  # builds the base font: once per process
            assert verify_pdf(signed, [root]).ok, "the benchmark's PDF must verify"
            continue
        made = sum(len(g._single) for g in fontcache._instances.values()) - made_before  # noqa: SLF001
        total.append(t3 - start)
        token_t.append(t1 - start)
        render_t.append(t2 - t1)
        sign_t.append(t3 - t2)
        (with_new_glyphs if made else reused).append(t3 - start)
    bare = []
    for _ in range(args.count):
        digest = rng.randbytes(32)
        start = time.process_time()
        pdf_key.sign(digest, ec.ECDSA(hashes.SHA256()))
        bare.append(time.process_time() - start)
    median_total, median_bare = statistics.median(total), statistics.median(bare)
    print(f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
          f"{args.count} certificates, seed {args.seed}\n")
    print("| step (CPU per certificate) | n | mean | median | p95 |\n|---|---|---|---|---|")
    print(_row("issue one certificate: token + QR + PDF + PAdES", total))
    print(_row("  of which the signed token (COSE)", token_t))
    print(_row("  of which QR + PDF render", render_t))
    print(_row("  of which PAdES signature", sign_t))
    print(_row("  certificates whose name brought a new character", with_new_glyphs))
    print(_row("  certificates with only characters seen before", reused))
    print(_row("bare ECDSA P-256 signature (cryptography)", bare))
    print(f"\nFirst certificate of the process (makes the base font): {first * 1000:.0f} ms." if first else "")
    print(f"Median issue / bare signature: {median_total / median_bare:,.0f}x. "
          f"Signed PDF size: mean {statistics.mean(sizes) / 1024:.1f} KiB.")


if __name__ == "__main__":
    main()
