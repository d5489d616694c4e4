"""The certificate PDF, checked by tools that share no code with the renderer.

poppler (pdfsig, pdfinfo, pdffonts, pdfimages, pdftoppm, pdftotext), zbar
(zbarimg) and openssl look at the file the way a verifier would.  Keys are
throwaway ECDSA P-256 made here: a self-signed root and a signing
certificate it issued.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID
from PIL import Image, ImageDraw
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from certexam.certpdf import fonts, layout
from certexam.certpdf.qr import QR_MAX_VERSION, QRTooLarge, make_qr_png, qr_matrix, qr_version
from certexam.certpdf.render import (
    VERIFY_URL_INFO_KEY,
    CertificatePrint,
    prepare_photo,
    render_certificate_pdf,
)
from certexam.certpdf.sign import sign_pdf, verify_pdf

VERIFY_URL = ("https://verify.certexam.example/c/"
              "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43UOV3HO6DZPJQWEY3EMVTGO2DJNJVWY3LOMRXW4ZJAMFRGGZDFMZTWQ")
NOW = dt.datetime.now(dt.UTC)


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian: poppler-utils, zbar-tools, openssl)")
    return path


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=60, check=False)


# -- keys, data and documents ----------------------------------------------------
def issue(cn: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None,
          issuer_key: ec.EllipticCurvePrivateKey, *, ca: bool) -> x509.Certificate:
    """A P-256 certificate: a self-signed CA when issuer is None, else a signing leaf."""
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "certexam tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    usage = x509.KeyUsage(digital_signature=not ca, content_commitment=not ca, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                          encipher_only=False, decipher_only=False)
    return (x509.CertificateBuilder().subject_name(name)
            .issuer_name(issuer.subject if issuer else name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(NOW - dt.timedelta(days=1))
            .not_valid_after(NOW + dt.timedelta(days=3650 if ca else 365))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                           critical=False)
            .sign(issuer_key, hashes.SHA256()))


def make_root(cn: str) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    return issue(cn, key, None, key, ca=True)


@dataclass(frozen=True)
class Pki:
    root: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


@pytest.fixture(scope="module")
def pki() -> Pki:
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = issue("certexam Test Root CA", root_key, None, root_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    return Pki(root, key, issue("certexam Test Certificate Signing", key, root, root_key, ca=False))


def sample_photo(fmt: str = "JPEG", size: tuple[int, int] = (600, 800)) -> bytes:
    w, h = size
    image = Image.new("RGB", size, (200, 215, 235))
    draw = ImageDraw.Draw(image)
    draw.ellipse((w * 0.3, h * 0.18, w * 0.7, h * 0.52), fill=(230, 190, 160))
    draw.rectangle((w * 0.2, h * 0.56, w * 0.8, h), fill=(40, 60, 100))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


BASE = CertificatePrint(
    number="SHMFTPP-L2-2026-000123-7", holder_name_zh="陳大文", holder_name_en="CHAN Tai Man",
    level=2, sitting_zh="2026年3月", sitting_en="March 2026", issue_date=dt.date(2026, 5, 20),
    expiry=dt.date(2029, 5, 19), verify_url=VERIFY_URL,
    issuer_name_zh="深港澳金融科技师考试认证中心", issuer_name_en="SHMFTPP Examination and Certification Centre",
    direction_zh="人工智能", direction_en="Artificial intelligence", photo=sample_photo())


def certificate(**changes: object) -> CertificatePrint:
    return replace(BASE, **changes)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def signed(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pdf = sign_pdf(render_certificate_pdf(certificate()), pki.key, pki.cert, [pki.root])
    path = tmp_path_factory.mktemp("certpdf") / "signed.pdf"
    path.write_bytes(pdf)
    return path


@pytest.fixture(scope="module")
def unsigned_level1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = certificate(number="SHMFTPP-L1-2026-000042-3", level=1, direction_zh=None, direction_en=None,
                       expiry=None, photo=None)
    path = tmp_path_factory.mktemp("certpdf") / "level1.pdf"
    path.write_bytes(render_certificate_pdf(data))
    return path


# -- the page ----------------------------------------------------------------------
@pytest.mark.parametrize("fixture", ["signed", "unsigned_level1"])
def test_one_a4_page(fixture: str, request: pytest.FixtureRequest) -> None:
    info = run(tool("pdfinfo"), request.getfixturevalue(fixture)).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())  # type: ignore[union-attr]
    assert (round(width), round(height)) == (595, 842)
    assert re.search(r"^Pages:\s+1$", info, re.M)


def test_fonts_are_embedded(signed: Path) -> None:
    lines = run(tool("pdffonts"), signed).stdout.splitlines()[2:]
    assert lines, "no font listed"
    for line in lines:
        emb, sub, uni = line.split()[-5:-2]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), line


def test_text_is_real_text(signed: Path) -> None:
    text = run(tool("pdftotext"), "-layout", signed, "-").stdout
    for expected in ("深港澳金融科技师", "Shenzhen-Hong Kong-Macau FinTech Professional", "陳大文",
                     "CHAN Tai Man", "SHMFTPP-L2-2026-000123-7", "人工智能", "2029年5月19日"):
        assert expected in text


def test_level1_has_no_direction_and_no_expiry(unsigned_level1: Path) -> None:
    text = run(tool("pdftotext"), unsigned_level1, "-").stdout
    assert "一级" in text and "长期有效" in text
    assert "方向" not in text


def test_verify_url_in_metadata(signed: Path) -> None:
    info = run(tool("pdfinfo"), "-custom", signed).stdout
    assert f"{VERIFY_URL_INFO_KEY[1:]}:{VERIFY_URL}" in info.replace(": ", ":")


def test_qr_on_the_printed_page_reads_back_the_url(signed: Path, tmp_path: Path) -> None:
    run(tool("pdftoppm"), "-r", "150", "-png", "-singlefile", signed, tmp_path / "page")
    decoded = run(tool("zbarimg"), "--raw", "-q", tmp_path / "page.png")
    assert decoded.stdout.splitlines() == [VERIFY_URL]


def test_photo_is_the_only_raster_image(signed: Path, unsigned_level1: Path) -> None:
    # The QR is drawn as vector squares, so the photo is the one image on the page.
    listing = run(tool("pdfimages"), "-list", signed).stdout.splitlines()[2:]
    assert len(listing) == 1
    width, height = map(int, listing[0].split()[3:5])
    assert (width, height) == layout.PHOTO_PIXELS
    assert run(tool("pdfimages"), "-list", unsigned_level1).stdout.splitlines()[2:] == []


# -- the signature -----------------------------------------------------------------
def byte_range(data: bytes) -> tuple[int, int, int, int]:
    """The signature's /ByteRange: offset and length of the two signed spans."""
    found = re.search(rb"/ByteRange\s*\[\s*(\d+) (\d+) (\d+) (\d+)\s*\]", data)
    assert found is not None, "no /ByteRange: not signed"
    a, b, c, d = (int(g) for g in found.groups())
    return a, b, c, d


def test_pdfsig_reports_the_signature_valid(signed: Path) -> None:
    out = run(tool("pdfsig"), signed).stdout
    assert "Signature Validation: Signature is Valid." in out
    assert "Total document signed" in out
    assert "certexam Test Certificate Signing" in out


def test_openssl_verifies_the_cms_over_the_byte_ranges(signed: Path, pki: Pki,
                                                       tmp_path: Path) -> None:
    data = signed.read_bytes()
    a, b, c, d = byte_range(data)
    (tmp_path / "content").write_bytes(data[a:a + b] + data[c:c + d])
    (tmp_path / "sig.der").write_bytes(bytes.fromhex(data[a + b + 1:c - 1].decode()))
    (tmp_path / "root.pem").write_bytes(pki.root.public_bytes(serialization.Encoding.PEM))
    result = run(tool("openssl"), "cms", "-verify", "-binary", "-inform", "DER", "-in", tmp_path / "sig.der",
                 "-content", tmp_path / "content", "-CAfile", tmp_path / "root.pem", "-purpose", "any",
                 "-out", "/dev/null")
    assert result.returncode == 0, result.stderr
    assert "Verification successful" in result.stderr


def test_verify_pdf_accepts_the_signed_certificate(signed: Path, pki: Pki) -> None:
    result = verify_pdf(signed.read_bytes(), [pki.root])
    assert result.ok and result.reasons == ()
    assert "certexam Test Certificate Signing" in (result.signer_subject or "")
    assert result.signing_time is not None and result.signing_time.tzinfo is not None
    assert abs(result.signing_time - NOW) < dt.timedelta(hours=1)


def test_verify_pdf_with_another_root_is_valid_but_untrusted(signed: Path) -> None:
    result = verify_pdf(signed.read_bytes(), [make_root("Some Other Root")])
    assert (result.intact, result.valid, result.trusted, result.ok) == (True, True, False, False)


def test_verify_pdf_after_expiry_of_the_signing_certificate(signed: Path, pki: Pki) -> None:
    result = verify_pdf(signed.read_bytes(), [pki.root], when=NOW + dt.timedelta(days=400))
    assert result.intact and not result.trusted


def test_unsigned_pdf_is_not_accepted(unsigned_level1: Path, pki: Pki) -> None:
    result = verify_pdf(unsigned_level1.read_bytes(), [pki.root])
    assert not result.ok and "found 0" in result.reasons[0]


def _signed_ranges(data: bytes) -> list[range]:
    a, b, c, d = byte_range(data)
    assert a == 0 and c + d == len(data), "the signature must cover the whole file"
    return [range(a, a + b), range(c, c + d)]


def _content_stream(data: bytes) -> range:
    reader = PdfFileReader(io.BytesIO(data))
    ref = reader.root["/Pages"]["/Kids"][0].get_object().raw_get("/Contents")
    length = int(ref.get_object()["/Length"])
    obj = re.search(rb"(?<![0-9])%d 0 obj" % ref.idnum, data)
    assert obj is not None
    start = data.index(b"stream", obj.end()) + len(b"stream")
    start += 2 if data[start:start + 2] == b"\r\n" else 1
    return range(start, start + length)


def tamper_positions(data: bytes) -> list[int]:
    """50 seeded positions over the signed bytes, plus 20 inside the page content stream."""
    rng = random.Random(20260520)
    spans = _signed_ranges(data)
    everywhere = [p for span in spans for p in (span.start, span.stop - 1)]
    everywhere += [rng.choice(rng.choice(spans)) for _ in range(46)]
    content = _content_stream(data)
    inside = [content.start, content.stop - 1] + rng.sample(content, 18)
    return everywhere + inside


def flipped(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x5A]) + data[position + 1:]


def test_every_changed_byte_fails_verify_pdf(signed: Path, pki: Pki) -> None:
    data = signed.read_bytes()
    positions = tamper_positions(data)
    assert len(positions) == 70
    accepted = [p for p in positions if verify_pdf(flipped(data, p), [pki.root]).ok]
    assert accepted == []


def test_every_changed_byte_fails_pdfsig(signed: Path, tmp_path: Path) -> None:
    data = signed.read_bytes()
    pdfsig = tool("pdfsig")
    accepted = []
    for position in tamper_positions(data):
        path = tmp_path / f"t{position}.pdf"
        path.write_bytes(flipped(data, position))
        if "Signature Validation: Signature is Valid." in run(pdfsig, path).stdout:
            accepted.append(position)
    assert accepted == []


def test_an_appended_update_is_flagged(signed: Path, pki: Pki) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(signed.read_bytes()))
    info = writer.trailer["/Info"].get_object()
    info[generic.NameObject(VERIFY_URL_INFO_KEY)] = generic.TextStringObject("https://evil.example/")
    writer.update_container(info)
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    result = verify_pdf(out.getvalue(), [pki.root])
    assert result.intact and not result.covers_whole_file and not result.ok


def test_sign_refuses_ed25519_and_a_foreign_key(pki: Pki) -> None:
    with pytest.raises(TypeError):
        sign_pdf(b"%PDF", ed25519.Ed25519PrivateKey.generate(), pki.cert, [])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="does not belong"):
        sign_pdf(b"%PDF", ec.generate_private_key(ec.SECP256R1()), pki.cert, [])


def test_garbage_is_rejected_without_raising(pki: Pki) -> None:
    for junk in (b"", b"not a pdf", b"%PDF-1.7\n%%EOF"):
        assert not verify_pdf(junk, [pki.root]).ok


# -- the QR code -------------------------------------------------------------------
@pytest.mark.parametrize(("length", "version"), [(20, 2), (151, 10), (152, 11), (203, QR_MAX_VERSION),
                                                 (204, None), (400, None), (3000, None)])
def test_qr_version_at_ecc_q_and_the_version_cap(length: int, version: int | None) -> None:
    # Lowercase letters are encoded as bytes: capacities are those of
    # what-users-expect.md (version 10: 151, version 12: 203 bytes at Q).
    url = "https://v.example/" + "a" * (length - len("https://v.example/"))
    if version is None:
        with pytest.raises(QRTooLarge):
            qr_version(url)
        with pytest.raises(QRTooLarge):
            render_certificate_pdf(certificate(verify_url=url, photo=None))
    else:
        assert qr_version(url) == version
        assert len(qr_matrix(url)) == 17 + 4 * version  # ISO/IEC 18004 symbol size


def test_qr_png_decodes(tmp_path: Path) -> None:
    png = make_qr_png(VERIFY_URL)
    assert png.startswith(b"\x89PNG")
    (tmp_path / "qr.png").write_bytes(png)
    assert run(tool("zbarimg"), "--raw", "-q", tmp_path / "qr.png").stdout.splitlines() == [VERIFY_URL]


def test_qr_is_at_least_35_mm_with_a_clear_quiet_zone() -> None:
    assert layout.QR_SYMBOL_MM >= 35
    worst_quiet_zone = layout.QR_QUIET_MODULES * layout.QR_SYMBOL_MM / 21  # version 1: biggest modules
    assert layout.QR_GAP >= worst_quiet_zone  # particulars shrink to end before the zone
    assert layout.QR_TOP - layout.DIVIDER_Y >= worst_quiet_zone
    assert layout.QR_X + layout.QR_SYMBOL_MM + worst_quiet_zone <= layout.PAGE_W - 14  # inside the frame


# -- inputs and fonts --------------------------------------------------------------
@pytest.mark.parametrize("changes", [
    {"level": 3},
    {"level": 2, "direction_zh": None, "direction_en": None},
    {"level": 1},  # level 1 with a direction
    {"level": 1, "direction_zh": None},  # half a direction
    {"direction_en": ""},
    {"expiry": dt.date(2026, 5, 20)},
    {"photo": b"GIF89a..."},
    {"holder_name_en": "  "},
    {"holder_name_zh": "陳大文\n二行"},
    {"verify_url": ""},
])
def test_certificate_print_rejects_inconsistent_data(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        certificate(**changes)


def test_a_name_the_font_cannot_print_is_refused() -> None:
    with pytest.raises(fonts.MissingGlyphs) as caught:
        render_certificate_pdf(certificate(holder_name_en="CHAN Tai Man \U0001F600", photo=None))
    assert caught.value.chars == "\U0001F600"


def test_photo_is_upright_cropped_and_stripped() -> None:
    image = Image.open(io.BytesIO(sample_photo(size=(900, 500))))
    exif = image.getexif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    exif[0x010F] = "PhoneMaker"
    raw = io.BytesIO()
    image.save(raw, "JPEG", exif=exif)
    prepared = Image.open(io.BytesIO(prepare_photo(raw.getvalue())))
    assert prepared.size == layout.PHOTO_PIXELS
    assert dict(prepared.getexif()) == {}
    png = Image.open(io.BytesIO(prepare_photo(sample_photo("PNG"))))
    assert png.format == "JPEG" and png.size == layout.PHOTO_PIXELS


def test_font_override_must_exist(tmp_path: Path) -> None:
    with pytest.raises(fonts.CJKFontMissing, match=fonts.ENV_VAR):
        fonts.find_cjk_font({fonts.ENV_VAR: str(tmp_path / "nope.otf")})
    with pytest.raises(fonts.CJKFontMissing, match="face number"):
        fonts.find_cjk_font({fonts.ENV_VAR: f"{tmp_path}/x.ttc#two"})
    font_file = tmp_path / "x.ttc"
    font_file.write_bytes(b"")
    assert fonts.find_cjk_font({fonts.ENV_VAR: f"{font_file}#3"}) == fonts.FontFile(font_file, 3)


def test_no_font_anywhere_names_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(fonts, "PYPI_MODULE", "certexam_no_such_font_package")
    monkeypatch.setattr(fonts, "DEBIAN_FONT_FILE", tmp_path / "missing.ttc")
    with pytest.raises(fonts.CJKFontMissing) as caught:
        fonts.find_cjk_font({})
    assert fonts.PYPI_DISTRIBUTION in str(caught.value) and fonts.DEBIAN_PACKAGE in str(caught.value)


def test_the_debian_collection_works_through_the_override(tmp_path: Path) -> None:
    if not fonts.DEBIAN_FONT_FILE.is_file():
        pytest.skip(f"{fonts.DEBIAN_PACKAGE} is not installed")
    index = fonts._face_index_by_family(fonts.DEBIAN_FONT_FILE, fonts.DEBIAN_FACE_FAMILY)
    font = fonts.find_cjk_font({fonts.ENV_VAR: f"{fonts.DEBIAN_FONT_FILE}#{index}"})
    path = tmp_path / "debian.pdf"
    path.write_bytes(render_certificate_pdf(certificate(photo=None), font=font))
    listing = run(tool("pdffonts"), path).stdout
    assert "NotoSerifCJK" in listing
    assert all(line.split()[-5] == "yes" for line in listing.splitlines()[2:])


def test_sign_and_verify_work_inside_a_running_event_loop(signed: Path, pki: Pki) -> None:
    """pyHanko calls asyncio.run(); callers that already run a loop (an async server,
    Playwright's sync API in the same process) must still be able to sign and verify."""
    import asyncio
    import threading

    async def inside_a_loop() -> tuple[bool, bool]:
        pdf = sign_pdf(render_certificate_pdf(certificate()), pki.key, pki.cert, [pki.root])
        return verify_pdf(pdf, [pki.root]).ok, verify_pdf(signed.read_bytes(), [pki.root]).ok

    # The loop runs in a thread of its own: this test worker may already run Playwright's loop.
    results: list[tuple[bool, bool]] = []
    thread = threading.Thread(target=lambda: results.append(asyncio.run(inside_a_loop())))
    thread.start()
    thread.join(timeout=120)
    assert results == [(True, True)]
