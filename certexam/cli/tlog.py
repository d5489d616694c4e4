"""`certexam log`: the issuance transparency log (issue 20.5).

    certexam log checkpoint          print the latest signed checkpoint (signing one if leaves were added)
    certexam log key                 print the verifier key that checks the checkpoints
    certexam log anchor              put the audit log's head into the log now (the worker does it hourly)
    certexam log verify              rebuild the whole tree from its leaves; exit 1 on any problem
    certexam log consistency FILE    prove a checkpoint published earlier is a prefix of today's
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext


@click.group("log")
def tlog_group() -> None:
    """The issuance transparency log: checkpoints, anchors and proofs."""


@tlog_group.command("checkpoint")
@with_appcontext
def checkpoint_command() -> None:
    """Print the latest signed checkpoint (what the body publishes and witnesses keep)."""
    from certexam.services.tlog import checkpoints

    made = checkpoints.current()
    if made.checkpoint is None:
        raise click.ClickException("the log is empty: nothing has been issued yet")
    click.echo(made.checkpoint.note, nl=False)


@tlog_group.command("key")
@with_appcontext
def key_command() -> None:
    """Print the log's verifier key (name+key ID+base64 key)."""
    from certexam.services.tlog import checkpoints

    vkey = checkpoints.verifier_key()
    if vkey is None:
        raise click.ClickException("the log has signed no checkpoint yet: run `certexam log checkpoint`")
    click.echo(vkey)


@tlog_group.command("anchor")
@with_appcontext
def anchor_command() -> None:
    """Anchor the audit log's head in the transparency log and sign a checkpoint."""
    from certexam.services.tlog import anchor, checkpoints

    index = anchor.anchor()
    checkpoints.current()
    click.echo("The audit head was already anchored." if index is None else f"Audit head anchored as entry {index}.")


@tlog_group.command("verify")
@with_appcontext
def verify_command() -> None:
    """Check every leaf, stored hash and signed checkpoint of the log; exit 1 on a problem."""
    from certexam.services.tlog import check

    report = check.verify_all()
    for problem in report.problems:
        click.echo(problem, err=True)
    if report.problems:
        click.echo(f"Transparency log NOT intact: {len(report.problems)} problem(s) in {report.leaves} entries.",
                   err=True)
        sys.exit(1)
    click.echo(f"Transparency log intact: {report.leaves} entries, {report.checkpoints} signed checkpoints.")


@tlog_group.command("consistency")
@click.argument("old_checkpoint", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def consistency_command(old_checkpoint: Path) -> None:
    """Prove the checkpoint in OLD_CHECKPOINT (a signed note) is a prefix of today's log; exit 1 if not."""
    from certexam.domain.tlog import NoteError
    from certexam.services.tlog import check

    try:
        result = check.prove_prefix(old_checkpoint.read_text("utf-8"))
    except (NoteError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{old_checkpoint}: {exc}") from exc
    click.echo(f"old: size {result.old.size}, root {base64.b64encode(result.old.root).decode()}")
    click.echo(f"new: size {result.new.size}, root {base64.b64encode(result.new.root).decode()}")
    for step in result.proof:
        click.echo(f"proof: {base64.b64encode(step).decode()}")
    if not result.consistent:
        click.echo("NOT consistent: the old checkpoint is not a prefix of today's log.", err=True)
        sys.exit(1)
    click.echo(f"Consistent: the {result.old.size} entries of the old checkpoint are the first of today's "
               f"{result.new.size}.")
