"""Sign a certificate PDF (PAdES baseline B-B) and check such a signature, with pyHanko.

The signature is a certification (author) signature that permits no later
change, so a viewer shows the document as certified by the issuer and flags
any edit.  Keys and certificates come in as `cryptography` objects; the key
store that holds them lives elsewhere.  Use an ECDSA P-256 key: poppler's
pdfsig validates those, while it reports an Ed25519-signed PDF as unsigned
(shared/design/what-users-expect.md).

There is no time-stamping authority here, so the level is B-B (no signature
time stamp); the signing time is the one the signer states.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import ParamSpec, TypeVar

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

SIGNATURE_FIELD = "CertexamIssuerSignature"
DIGEST_ALGORITHM = "sha256"  # matches P-256's strength (NIST SP 800-57)
DEFAULT_REASON = "Certificate issued / 证书签发"
# Room for the CMS signature (ECDSA P-256, the signer's certificate and its chain: about 1.5 kB here).
# Given, pyHanko does not sign a dummy document first to measure it: that halved the signing cost.
SIGNATURE_BYTES_RESERVED = 16 * 1024
# A document seal may carry digitalSignature or nonRepudiation; require either.
ACCEPTED_KEY_USAGES = frozenset({"digital_signature", "non_repudiation"})


@dataclass(frozen=True)
class VerifyResult:
    """What a verifier needs: is the PDF unchanged, signed by whom, when, trusted?"""

    intact: bool  # the signed bytes hash to the signed digest
    valid: bool  # the signature over that digest verifies with the signer's key
    trusted: bool  # the signer's certificate chains to one of the trust roots
    covers_whole_file: bool  # nothing was appended after the signature
    signer_subject: str | None = None
    signing_time: datetime | None = None
    reasons: tuple[str, ...] = field(default_factory=tuple)  # why any check failed

    @property
    def ok(self) -> bool:
        """All four checks passed."""
        return self.intact and self.valid and self.trusted and self.covers_whole_file


P = ParamSpec("P")
R = TypeVar("R")


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _spki(public_key: PublicKeyTypes) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


# What a damaged or forged file can make pyHanko raise.  Anything else (a bug,
# asyncio.run inside a running event loop) propagates instead of reading as "invalid".
_BAD_INPUT = (PdfError, ValueError, KeyError, IndexError, TypeError, AttributeError)


def _outside_event_loop(fn: Callable[P, R]) -> Callable[P, R]:
    """Run `fn` in a worker thread when this thread already runs an event loop.

    pyHanko's synchronous API calls asyncio.run(), which refuses to start inside
    a running loop (an async server, Playwright's sync API in the same process).
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return fn(*args, **kwargs)
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(fn, *args, **kwargs).result()

    return wrapper


@_outside_event_loop
def sign_pdf(pdf: bytes, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate,
             chain: list[x509.Certificate], *, reason: str = DEFAULT_REASON,
             location: str | None = None) -> bytes:
    """Return ``pdf`` with a PAdES B-B certification signature appended.

    ``chain`` holds the intermediate (and optionally root) certificates; they
    are embedded so a verifier needs only the root.
    """
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError("sign_pdf needs an ECDSA private key (P-256): pdfsig cannot check Ed25519")
    if _spki(key.public_key()) != _spki(cert.public_key()):
        raise ValueError("the private key does not belong to the signing certificate")
    key_der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    signer = signers.SimpleSigner(
        signing_cert=_asn1_cert(cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [_asn1_cert(c) for c in chain]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm=DIGEST_ALGORITHM,
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        reason=reason,
        location=location,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=True)
    out = signers.PdfSigner(meta, signer=signer).sign_pdf(writer, output=io.BytesIO(),
                                                          bytes_reserved=SIGNATURE_BYTES_RESERVED)
    return bytes(out.getvalue())


@_outside_event_loop
def verify_pdf(pdf: bytes, trust_roots: list[x509.Certificate], *,
               when: datetime | None = None) -> VerifyResult:
    """Check the PDF's (single) signature against ``trust_roots``; never raises on bad input.

    ``when`` is the time at which the certificates must be valid (default:
    now).  Revocation is soft-fail and nothing is fetched from the network:
    the certificate status is the issuer's own register, checked elsewhere.
    """
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=True)
        signatures = reader.embedded_signatures
    except _BAD_INPUT as exc:
        return VerifyResult(False, False, False, False, reasons=(f"unreadable PDF: {exc}",))
    if len(signatures) != 1:
        return VerifyResult(False, False, False, False,
                            reasons=(f"expected one signature, found {len(signatures)}",))
    context = ValidationContext(
        trust_roots=[_asn1_cert(c) for c in trust_roots],
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=when,
    )
    try:
        status = validate_pdf_signature(
            signatures[0], signer_validation_context=context,
            key_usage_settings=KeyUsageConstraints(key_usage=set(ACCEPTED_KEY_USAGES),
                                                   match_all_key_usages=False),
        )
    except _BAD_INPUT as exc:  # a mangled signature is a failed check, not a crash
        return VerifyResult(False, False, False, False, reasons=(f"signature unreadable: {exc}",))
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    reasons = [text for failed, text in (
        (not status.intact, "document changed after signing (digest mismatch)"),
        (not status.valid, "signature does not verify with the signer's key"),
        (not status.trusted, "signer certificate does not chain to a trusted root"),
        (not whole, "content was added after the signature"),
    ) if failed]
    return VerifyResult(
        intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
        covers_whole_file=whole,
        signer_subject=status.signing_cert.subject.human_friendly,
        signing_time=status.signer_reported_dt,
        reasons=tuple(reasons),
    )
