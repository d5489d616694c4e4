"""Throughput of certificate PDFs: QR + render + PAdES signature, per certificate.

Run:  .venv/bin/python benchmarks/bench_certpdf.py [--count 200]

Each certificate gets a distinct number and verify URL (so the QR differs),
is rendered with a photo and signed with a throwaway ECDSA P-256 key.  The
bare ECDSA P-256 signature over a SHA-256 digest is timed in the same run for
scale.  Prints a Markdown table; the figures live in RESULTS_certpdf.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import platform
import statistics
import time
from collections.abc import Callable

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from PIL import Image, ImageDraw

from certexam.certpdf.qr import qr_matrix
from certexam.certpdf.render import CertificatePrint, render_certificate_pdf
from certexam.certpdf.sign import sign_pdf, verify_pdf


def _certs() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate, x509.Certificate]:
    now = dt.datetime.now(dt.UTC)
    root_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench root")])
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench signer")])
    usage = x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False,
                          crl_sign=False, encipher_only=False, decipher_only=False)

    def build(name: x509.Name, pub: ec.EllipticCurvePublicKey, ca: bool) -> x509.CertificateBuilder:
        return (x509.CertificateBuilder().subject_name(name).issuer_name(root_name).public_key(pub)
                .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=365))
                .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))

    root = build(root_name, root_key.public_key(), True).sign(root_key, hashes.SHA256())
    leaf = build(leaf_name, key.public_key(), False).add_extension(usage, critical=True).sign(
        root_key, hashes.SHA256())
    return key, leaf, root


def _photo() -> bytes:
    image = Image.new("RGB", (1200, 1600), (200, 215, 235))
    ImageDraw.Draw(image).ellipse((360, 300, 840, 830), fill=(230, 190, 160))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def _data(i: int, photo: bytes) -> CertificatePrint:
    token = f"{i:06d}".encode().hex().upper() * 8  # 96 upper-case characters, like a base32 token
    return CertificatePrint(
        number=f"SHMFTPP-L2-2026-{i:06d}-{i % 10}", holder_name_zh="陳大文", holder_name_en="CHAN Tai Man",
        level=2, sitting_zh="2026年3月", sitting_en="March 2026", issue_date=dt.date(2026, 5, 20),
        expiry=dt.date(2029, 5, 19), verify_url=f"https://verify.certexam.example/c/{token}",
        issuer_name_zh="深港澳金融科技师考试认证中心",
        issuer_name_en="SHMFTPP Examination and Certification Centre",
        direction_zh="人工智能", direction_en="Artificial intelligence", photo=photo)


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _row(label: str, samples: list[float], unit: float, unit_name: str) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (f"| {label} | {len(samples)} | {statistics.mean(samples) / unit:.2f} {unit_name} | "
            f"{statistics.median(samples) / unit:.2f} {unit_name} | {p95 / unit:.2f} {unit_name} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    key, cert, root = _certs()
    photo = _photo()
    datas = [_data(i, photo) for i in range(args.count)]
    render_certificate_pdf(datas[0])  # warm-up: imports, font cmap cache

    qr, render, sign, total, verify, sizes = [], [], [], [], [], []
    for data in datas:
        qr.append(_timed(lambda d=data: qr_matrix(d.verify_url)))  # type: ignore[misc]
        start = time.perf_counter()
        pdf = render_certificate_pdf(data)
        mid = time.perf_counter()
        signed = sign_pdf(pdf, key, cert, [root])
        end = time.perf_counter()
        render.append(mid - start)
        sign.append(end - mid)
        total.append(end - start)
        sizes.append(len(signed))
        verify.append(_timed(lambda s=signed: verify_pdf(s, [root])))  # type: ignore[misc]

    digest = b"\x00" * 32
    bare = [_timed(lambda: key.sign(digest, ec.ECDSA(hashes.SHA256()))) for _ in range(args.count)]

    ms, us = 1e-3, 1e-6
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
          f"{args.count} certificates, one process, sequential.\n")
    print("| step | n | mean | median | p95 |\n|---|---|---|---|---|")
    print(_row("render + sign, per certificate (QR, PDF, PAdES)", total, ms, "ms"))
    print(_row("  of which render (QR + layout + fonts + photo)", render, ms, "ms"))
    print(_row("  of which PAdES signature (pyHanko)", sign, ms, "ms"))
    print(_row("QR matrix alone", qr, ms, "ms"))
    print(_row("verify_pdf (pyHanko validation)", verify, ms, "ms"))
    print(_row("bare ECDSA P-256 signature (cryptography)", bare, us, "µs"))
    print(f"\nSigned PDF size: mean {statistics.mean(sizes) / 1024:.1f} KiB "
          f"(min {min(sizes) / 1024:.1f}, max {max(sizes) / 1024:.1f}).")
    print(f"Throughput: {len(total) / sum(total):.1f} certificates/s on one core.")


if __name__ == "__main__":
    main()
