"""`certexam keys signers`, `keys revoke-signer` and `keys crl`: the PDF-signing certificates (issue 20.6).

cli/certs.py adds them to its `keys` group (this module imports nothing from there: no import cycle).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext


def _now() -> datetime:
    return datetime.now(UTC)


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


@click.command("signers")
@with_appcontext
def keys_signers_command() -> None:
    """List the PDF-signing certificates (serial, status, dates)."""
    from certexam.crypto.keystore import KeyStoreError
    from certexam.services.certificates import keys

    try:
        found = keys.public_store().signers()
    except KeyStoreError as exc:
        raise _fail(exc) from exc
    for signer in found:
        revoked = f", revoked {signer.revoked_at:%Y-%m-%d %H:%M} UTC" if signer.revoked_at else ""
        click.echo(f"{signer.serial}  {signer.status:<8}  created {signer.created_at:%Y-%m-%d}{revoked}")


@click.command("revoke-signer")
@click.argument("serial", required=False)
@click.confirmation_option(prompt="PDFs signed by this certificate will show as revoked to validators. Continue?")
@with_appcontext
def keys_revoke_signer_command(serial: str | None) -> None:
    """Revoke the PDF-signing certificate SERIAL (hex; default: the active one) and publish the CRL.

    A new signer takes over if it was the active one. PDFs it signed fail a validator that checks
    revocation from now on; docs/keys.md says how to give holders new ones.
    """
    from certexam.crypto.keystore import KeyStoreError
    from certexam.services.certificates import keys

    try:
        revoked = keys.revoke_signer(None, serial, _now())
    except KeyStoreError as exc:
        raise _fail(exc) from exc
    click.echo(f"Signer {revoked} is revoked; the CRL at {keys.crl_url() or keys.CRL_PATH} lists it.")


@click.command("crl")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Also write the CRL (DER) to this file.")
@with_appcontext
def keys_crl_command(output: str | None) -> None:
    """Sign a fresh CRL of the root (run daily: it is valid for a week) and publish it."""
    from certexam.crypto.keystore import KeyStoreError
    from certexam.services.certificates import keys

    try:
        der = keys.publish_crl(_now())
    except KeyStoreError as exc:
        raise _fail(exc) from exc
    if output:
        Path(output).write_bytes(der)
    click.echo(f"CRL published ({len(der)} bytes)" + (f" and written to {output}." if output else "."))
