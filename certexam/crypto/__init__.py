"""The body's keys and signatures for electronic certificates.

* ``cose``     - the signed QR token (COSE_Sign1, ES256) and its verification;
* ``keystore`` - token keys and the PDF-signing PKI on disk, encrypted at rest,
                 with rotation, retirement and compromise;
* ``jwks``     - the published JWK set (/.well-known/jwks.json) and key ids;
* ``x509ca``   - the body's root CA and document-signing certificates.

Unlike ``certexam.domain`` this package does I/O (keystore) and uses
``cryptography`` and ``cbor2``; the rules it applies stay in the domain.
"""
