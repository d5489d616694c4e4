"""`certexam keys ...` and `certexam certs ...`."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

EXIT_INVALID = 1  # `certs verify`: checked, and not a valid certificate
EXIT_UNUSABLE = 2  # `certs verify`: nothing to check against (no keys, unreadable file)
EXIT_REVOKED = 3  # `certs verify`: revoked (the register, or a signed status list; issue 20.3)
EXIT_SUSPENDED = 4  # `certs verify`: suspended
EXIT_STATUS_UNKNOWN = 5  # `certs verify --jwks`: signature valid, but no fresh status list shows it in force


def _now() -> datetime:
    return datetime.now(UTC)


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(getattr(exc, "message", None) or str(exc))


# A key id is an RFC 7638 thumbprint in base64url, so one in 64 begins with "-": Click would read
# `keys compromise -DDN` as options and refuse it, in the middle of an incident. Unknown options
# are passed on as the argument instead.
_KID_MAY_START_WITH_A_DASH = {"ignore_unknown_options": True}


@click.group("keys")
def keys_group() -> None:
    """Manage the body's signing keys (in the instance folder)."""


@keys_group.command("init")
@with_appcontext
def keys_init_command() -> None:
    """Create the root CA, the PDF signer and the first token key (private keys encrypted)."""
    from certexam.crypto.keystore import KeyStoreError
    from certexam.services.certificates import keys

    try:
        secret, source = keys.passphrase()
        kid = keys.init_keys(None, _now())
    except KeyStoreError as exc:
        raise _fail(exc) from exc
    click.echo(f"Keys created in {keys.keys_dir()}; token key {kid} signs new certificates.")
    click.echo(f"Private keys are encrypted with the passphrase from {source}.")
    if source != "CERTEXAM_KEY_PASSPHRASE":
        click.echo("Development only: production must set CERTEXAM_KEY_PASSPHRASE.", err=True)


@keys_group.command("rotate")
@with_appcontext
def keys_rotate_command() -> None:
    """Start a new token key and PDF signer; old keys keep verifying what they signed."""
    from certexam.crypto.keystore import KeyStoreError
    from certexam.services.certificates import keys

    try:
        kid = keys.rotate_keys(None, _now())
    except KeyStoreError as exc:
        raise _fail(exc) from exc
    click.echo(f"Token key {kid} now signs new certificates; earlier keys are retired and still verify.")


@keys_group.command("retire", context_settings=_KID_MAY_START_WITH_A_DASH)
@click.argument("kid")
@with_appcontext
def keys_retire_command(kid: str) -> None:
    """Stop signing with KID; what it signed stays valid."""
    from certexam.crypto.keystore import KeyStoreError
    from certexam.services.certificates import keys

    try:
        keys.retire_key(None, kid, _now())
    except KeyStoreError as exc:
        raise _fail(exc) from exc
    click.echo(f"Key {kid} is retired.")


@keys_group.command("compromise", context_settings=_KID_MAY_START_WITH_A_DASH)
@click.argument("kid")
@click.option("--resign", is_flag=True,
              help="Then queue signing every affected certificate again under the current key (certs resign).")
@click.confirmation_option(prompt="Every certificate this key signed will fail verification. Continue?")
@with_appcontext
def keys_compromise_command(kid: str, resign: bool) -> None:
    """Mark KID compromised: every token it signed is rejected from now on; list what it signed."""
    from certexam.crypto.keystore import KeyStoreError
    from certexam.services.certificates import keys
    from certexam.services.certificates import resign as cert_resign

    try:
        keys.compromise_key(None, kid, _now())
    except KeyStoreError as exc:
        raise _fail(exc) from exc
    numbers = [c.number for c in cert_resign.affected(kid)]
    click.echo(f"Key {kid} is marked compromised; {len(numbers)} certificate(s) it signed no longer verify"
               + (":" if numbers else "."))
    for number in numbers:
        click.echo(f"  {number}")
    if resign and numbers:
        _queue_resign(kid, wait=True)
    elif numbers:
        click.echo("Rotate if it was the active key, then sign them again: "
                   f"`certexam certs resign --key {kid}`.", err=True)


def _queue_resign(kid: str | None, wait: bool) -> None:
    """Queue the job for the worker and follow its progress (Ctrl-C stops following, not the job)."""
    import time

    from certexam.services.platform import clock, jobs

    job, queued = jobs.start_resign(None, kid)
    click.echo(("Queued for the worker (`certexam worker`)." if queued else f"A re-signing job is already {job.state}.")
               + (" Following it; Ctrl-C stops following, not the job." if wait else ""))
    if not wait:
        return
    shown = 0
    with click.progressbar(length=max(job.total, 1), label="Signing again", file=sys.stderr) as bar:
        while job.active:
            time.sleep(_POLL_SECONDS)
            job = jobs.resign_job() or job
            if job.stale(clock.now()):  # nobody took it up or reported for jobs.STALE
                raise click.ClickException("the job has not moved for 10 minutes: is `certexam worker` running? "
                                           "Start it, or run `certexam certs resign --here`.")
            bar.length = max(job.total, 1)
            bar.update(job.done - shown)
            shown = job.done
    click.echo(f"Re-signing {job.state}: {job.done} of {job.total} certificate(s), {job.problems} problem(s).")
    if job.state != jobs.DONE or job.problems:
        sys.exit(EXIT_INVALID)


_POLL_SECONDS = 1.0


@keys_group.command("list")
@with_appcontext
def keys_list_command() -> None:
    """List the token keys with their status and how many certificates each signed."""
    from sqlalchemy import func, select

    from certexam import db
    from certexam.models import Certificate
    from certexam.services.certificates import keys

    signed = dict(db.session().execute(select(Certificate.key_id, func.count()).group_by(Certificate.key_id))
                  .all())
    found = keys.verification_keys()
    if not found:
        click.echo("No keys yet: run `certexam keys init`.")
    for key in found:
        dates = f"created {key.created_at:%Y-%m-%d}"
        if key.retired_at:
            dates += f", retired {key.retired_at:%Y-%m-%d}"
        if key.compromised_at:
            dates += f", compromised {key.compromised_at:%Y-%m-%d}"
        click.echo(f"{key.kid}  {key.status.value:<11}  {dates}  {signed.get(key.kid, 0)} certificate(s)")


@click.group("certs")
def certs_group() -> None:
    """Issue, list, render and verify certificates."""


@certs_group.command("issue")
@click.option("--sitting", "sitting_id", type=int, required=True, help="Issue to every passing candidate.")
@click.option("--no-pdf", is_flag=True, help="Register and sign now; make the PDFs on first download.")
@with_appcontext
def certs_issue_command(sitting_id: int, no_pdf: bool) -> None:
    """Issue certificates for a sitting (idempotent: run it again to finish an interrupted run)."""
    from sqlalchemy import func, select

    from certexam import db
    from certexam.crypto.keystore import KeyStoreError
    from certexam.errors import UserError
    from certexam.models import LevelPass
    from certexam.services.certificates import issue as certificates

    total = db.session().scalar(select(func.count()).select_from(LevelPass)
                                .where(LevelPass.sitting_id == sitting_id)) or 0
    errors: list[str] = []
    with click.progressbar(length=total, label="Issuing", file=sys.stderr) as bar:
        try:
            issued = certificates.issue_for_sitting(sitting_id, None, lambda done, _total: bar.update(1),
                                                    with_pdf=not no_pdf, errors=errors)
        except (UserError, KeyStoreError) as exc:
            raise _fail(exc) from exc
    for line in errors:
        click.echo(f"not issued: {line}", err=True)
    click.echo(f"{len(issued)} certificate(s) for sitting {sitting_id}; {len(errors)} candidate(s) skipped.")
    if errors:
        sys.exit(EXIT_INVALID)


@certs_group.command("list")
@click.option("--status", type=click.Choice(["valid", "suspended", "revoked"]))
@with_appcontext
def certs_list_command(status: str | None) -> None:
    """Print every certificate number with its holder and status."""
    from sqlalchemy import select

    from certexam import db
    from certexam.models import Certificate

    stmt = select(Certificate).order_by(Certificate.level, Certificate.year, Certificate.serial)
    if status:
        stmt = stmt.where(Certificate.status == status)
    for cert in db.session().scalars(stmt):
        click.echo(f"{cert.number}  {cert.status:<9}  {cert.holder_name_zh} / {cert.holder_name_en}")


@certs_group.command("pdf")
@click.argument("number")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def certs_pdf_command(number: str, output: str) -> None:
    """Write the signed PDF of certificate NUMBER to a file."""
    from certexam.crypto.keystore import KeyStoreError
    from certexam.errors import UserError
    from certexam.services.certificates import issue as certificates
    from certexam.services.certificates import pdf as cert_pdf

    cert = certificates.find_by_number(number)
    if cert is None:
        raise click.ClickException(f"no certificate has the number {number}")
    try:
        data = cert_pdf.pdf_bytes(cert)  # refused while its key is compromised (issue 20.6)
    except (KeyStoreError, UserError) as exc:
        raise _fail(exc) from exc
    Path(output).write_bytes(data)
    click.echo(f"Wrote {output} ({len(data)} bytes, signed).")


@certs_group.command("resign", context_settings=_KID_MAY_START_WITH_A_DASH)
@click.option("--key", "kid", help="Only the certificates of this compromised key (default: of every one).")
@click.option("--here", is_flag=True, help="Run in this process instead of the worker.")
@click.option("--no-wait", is_flag=True, help="Queue the job and return without following its progress.")
@with_appcontext
def certs_resign_command(kid: str | None, here: bool, no_wait: bool) -> None:
    """Sign again, under the current key, every certificate of a compromised key: the same number, a new
    token and PDF; each is audited and its holder mailed. Run it again to finish an interrupted run."""
    from certexam.crypto.keystore import KeyStoreError
    from certexam.errors import UserError
    from certexam.services.certificates import keys
    from certexam.services.certificates import resign as cert_resign

    if kid is not None and kid not in keys.compromised_kids():
        raise click.ClickException(f"key {kid} is not marked compromised: `certexam keys compromise {kid}` first")
    if not here:
        _queue_resign(kid, wait=not no_wait)
        return
    total = len(cert_resign.affected(kid))
    if not total:
        click.echo("No certificate is signed with a compromised key: nothing to sign again.")
        return
    with click.progressbar(length=total, label="Signing again", file=sys.stderr) as bar:
        try:
            report = cert_resign.resign_all(None, kid, lambda _done, _total, _problems: bar.update(1))
        except (UserError, KeyStoreError) as exc:
            raise _fail(exc) from exc
    for line in report.problems:
        click.echo(f"not signed again: {line}", err=True)
    click.echo(f"{len(report.done)} certificate(s) signed again under the current key; "
               f"{len(report.problems)} problem(s).")
    if report.problems:
        sys.exit(EXIT_INVALID)


@certs_group.command("verify")
@click.argument("token", required=False)
@click.option("--pdf", "pdf_file", type=click.Path(exists=True, dir_okay=False), help="A certificate PDF.")
@click.option("--jwks", "jwks_file", type=click.Path(exists=True, dir_okay=False),
              help="A saved /.well-known/jwks.json: check against it alone, without the register.")
@click.option("--root", "root_file", type=click.Path(exists=True, dir_okay=False),
              help="The root certificate (PEM) for --pdf; default: the one in the instance folder.")
@click.option("--name", "names", multiple=True,
              help="The holder's name in Chinese or English, as told or as printed; checked against the "
                   "token's commitment (repeat for both names).")
@click.option("--status-file", "status_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A saved signed status list (/.well-known/certexam/status/revocation or /suspension); "
                   "repeat for both.")
@click.option("--status-url", help="Fetch the status lists from this site (e.g. https://verify.example.org).")
@click.option("--fetch-status", is_flag=True, help="Fetch the status lists from the host in the QR URL.")
@with_appcontext
def certs_verify_command(token: str | None, pdf_file: str | None, jwks_file: str | None,
                         root_file: str | None, names: tuple[str, ...], status_files: tuple[str, ...],
                         status_url: str | None, fetch_status: bool) -> None:
    """Check a token (or the URL from the QR code) or a PDF offline.

    With --jwks the status comes from the signed status lists, and VALID needs fresh ones. Exit status:
    0 valid (and, with --name, in that name); 1 not valid (forged, altered, backdated, compromised key,
    expired, wrong name); 2 nothing to check against; 3 revoked; 4 suspended; 5 signature valid but
    status unknown (no status list, or one older than its validity).
    """
    from certexam.services.certificates import offline as cert_offline
    from certexam.services.certificates.offline_status import StatusSources

    if (token is None) == (pdf_file is None):
        raise click.UsageError("give either a TOKEN (or QR URL) or --pdf FILE")
    jwks: dict[str, Any] | None = None
    if jwks_file:
        jwks = json.loads(Path(jwks_file).read_text("utf-8"))
    sources = StatusSources(tuple(Path(f).read_text("utf-8", "replace") for f in status_files), status_url,
                            fetch_status)
    lines, outcome = cert_offline.run(token, Path(pdf_file) if pdf_file else None, jwks,
                                      Path(root_file) if root_file else None, names, sources)
    for line in lines:
        click.echo(line)
    sys.exit({cert_offline.Outcome.VALID: 0, cert_offline.Outcome.INVALID: EXIT_INVALID,
              cert_offline.Outcome.UNUSABLE: EXIT_UNUSABLE, cert_offline.Outcome.REVOKED: EXIT_REVOKED,
              cert_offline.Outcome.SUSPENDED: EXIT_SUSPENDED,
              cert_offline.Outcome.STATUS_UNKNOWN: EXIT_STATUS_UNKNOWN}[outcome])


# The PDF signers' commands (issue 20.6) live in their own module.
from certexam.cli.signers import keys_crl_command, keys_revoke_signer_command, keys_signers_command  # noqa: E402

for _command in (keys_signers_command, keys_revoke_signer_command, keys_crl_command):
    keys_group.add_command(_command)
