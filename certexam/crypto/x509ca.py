"""The body's small PKI for signing certificate PDFs.

A self-signed root CA and a document-signing certificate issued by it, both
ECDSA P-256: poppler's pdfsig accepts P-256 PAdES signatures and reports
Ed25519 ones as unsigned (what-users-expect.md).  Verifiers trust the root,
which the body publishes; the signing certificate can then be rolled
(KeyStore.rotate) without anyone changing what they trust.

A document signer can be revoked (issue 20.6): the root signs a CRL (RFC 5280 s.5) listing revoked
signers, and signers issued since name the URL it is served at in their CRL Distribution Points.

Extended key usage: id-kp-documentSigning (RFC 9336) says what the key is for;
id-kp-emailProtection is added because NSS-based validators (poppler's pdfsig)
check CMS signers against the S/MIME usage.  pyHanko's default policy accepts
any EKU.  Validity periods are the body's policy, not programme rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

ROOT_VALIDITY = timedelta(days=25 * 365)  # outlives every signing certificate it will issue
SIGNER_VALIDITY = timedelta(days=10 * 365)  # a PDF signed today should still validate for years
CLOCK_SKEW = timedelta(minutes=5)  # backdate notBefore so a verifier's slow clock does not reject
EKU_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # RFC 9336 id-kp-documentSigning
DEFAULT_ORGANISATION = "SHMFTPP Certification Body"
CRL_VALIDITY = timedelta(days=7)  # nextUpdate: `certexam keys crl` refreshes it daily; a week survives a holiday


def new_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 private key."""
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def create_root(
    key: ec.EllipticCurvePrivateKey, now: datetime, organisation: str = DEFAULT_ORGANISATION
) -> x509.Certificate:
    """Self-signed root CA certificate; it may only issue end-entity certificates."""
    name = _name(f"{organisation} Root CA", organisation)
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def issue_document_signer(
    root_key: ec.EllipticCurvePrivateKey,
    root_cert: x509.Certificate,
    signer_key: ec.EllipticCurvePublicKey,
    now: datetime,
    organisation: str = DEFAULT_ORGANISATION,
    crl_url: str | None = None,
) -> x509.Certificate:
    """Issue a document-signing certificate for ``signer_key`` under the root; ``crl_url``: where the
    root's CRL is served (a CRL Distribution Points extension tells validators where to look)."""
    not_after = min(now + SIGNER_VALIDITY, root_cert.not_valid_after_utc)
    builder = x509.CertificateBuilder()
    if crl_url:
        builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(crl_url)], relative_name=None, reasons=None,
            crl_issuer=None)]), critical=False)
    return (
        builder
        .subject_name(_name(f"{organisation} Document Signing", organisation))
        .issuer_name(root_cert.subject)
        .public_key(signer_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # a.k.a. nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([EKU_DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(signer_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(_ec_public(root_cert)), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )


def build_crl(
    root_key: ec.EllipticCurvePrivateKey,
    root_cert: x509.Certificate,
    revoked: Iterable[tuple[int, datetime]],
    crl_number: int,
    now: datetime,
) -> x509.CertificateRevocationList:
    """The root's CRL: each (serial, revocation time) with reason keyCompromise, valid for CRL_VALIDITY.

    The body revokes a signer only when its key can no longer be trusted, so the reason is always
    keyCompromise (RFC 5280 s.5.3.1); validators then distrust even signatures dated before it.
    """
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root_cert.subject)
        .last_update(now - CLOCK_SKEW)
        .next_update(now + CRL_VALIDITY)
        .add_extension(x509.CRLNumber(crl_number), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(_ec_public(root_cert)), critical=False)
    )
    for serial, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when)
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False).build())
    return builder.sign(root_key, hashes.SHA256())


def crl_der(crl: x509.CertificateRevocationList) -> bytes:
    """DER bytes of a CRL, as served (application/pkix-crl) and as validators load it."""
    return crl.public_bytes(serialization.Encoding.DER)


def _ec_public(cert: x509.Certificate) -> ec.EllipticCurvePublicKey:
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("the body's certificates hold EC keys")
    return key


def cert_pem(cert: x509.Certificate) -> bytes:
    """PEM text of a certificate."""
    return cert.public_bytes(serialization.Encoding.PEM)


def load_cert(pem: bytes) -> x509.Certificate:
    """Load a PEM certificate."""
    return x509.load_pem_x509_certificate(pem)


def issued_by(cert: x509.Certificate, root: x509.Certificate) -> bool:
    """True when ``root`` signed ``cert`` (signature and names)."""
    try:
        cert.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
