"""`certexam bank validate|import|export`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from certexam.bankio import reader
from certexam.bankio.errors import ParseResult


def _print_errors(result: ParseResult, importing: bool) -> None:
    for e in result.errors:
        where = e.file + (f":{e.line}" if e.line else "") + (f" [{e.item_id}]" if e.item_id else "")
        click.echo(f"{where}: {e.message}", err=True)
    click.echo(f"{len(result.errors)} error(s)" + ("; nothing was imported." if importing else "."), err=True)


def expand(paths: tuple[str, ...]) -> list[str]:
    """Files as given, and for a folder every bank file inside it (sorted)."""
    out: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out += sorted(str(f) for f in path.rglob("*") if f.suffix in reader.EXTENSIONS and f.is_file())
        else:
            out.append(p)
    return out


@click.group("bank")
def bank_group() -> None:
    """Validate, import and export question banks."""


@bank_group.command("validate")
@click.argument("files", nargs=-1, required=True)
@with_appcontext
def validate_command(files: tuple[str, ...]) -> None:
    """Check bank files without writing anything; exit 1 on any error."""
    from certexam.services.bank import items as bank

    result = bank.validate(expand(files))
    if result.errors:
        _print_errors(result, importing=False)
        sys.exit(1)
    click.echo(f"{len(result.items)} item(s) valid.")


@bank_group.command("import")
@click.argument("files", nargs=-1, required=True)
@click.option("--approve", is_flag=True, help="Approve the imported versions at once (trusted bulk load; audited).")
@with_appcontext
def import_command(files: tuple[str, ...], approve: bool) -> None:
    """Import bank files: all of them, or nothing if any has an error."""
    from certexam.services.bank import items as bank

    paths = expand(files)
    result = bank.validate(paths)
    if result.errors:
        _print_errors(result, importing=True)
        sys.exit(1)
    with click.progressbar(length=len(result.items), label="Importing", file=sys.stderr) as bar:
        last = 0

        def step(n: int) -> None:
            nonlocal last
            bar.update(n - last)
            last = n

        report = bank.import_items(result.items, None, approve=approve, source=",".join(paths), progress=step)
    click.echo(f"Imported: {report.created} new, {report.updated} changed, {report.unchanged} unchanged.")


@bank_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["yaml", "csv", "moodle-xml"]), default="yaml")
@click.option("-o", "--output", required=True, type=click.Path(writable=True),
              help="A file; for YAML with several modules, a folder (one file per module, as shipped).")
@click.option("--include-retired", is_flag=True)
@with_appcontext
def export_command(fmt: str, output: str, include_retired: bool) -> None:
    """Export every item's newest version."""
    from certexam.errors import UserError
    from certexam.services.bank import items as bank

    try:
        files, skipped = bank.export("moodle" if fmt == "moodle-xml" else fmt, include_retired)
    except UserError as exc:
        raise click.ClickException(exc.message) from exc
    target = Path(output)
    if len(files) == 1 and not target.is_dir():
        target.write_bytes(next(iter(files.values())))
        written = [target]
    else:  # YAML across modules: a folder of module files
        written = []
        for name, data in files.items():
            path = target / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            written.append(path)
    for item_id, why in skipped:
        click.echo(f"skipped {item_id}: {why}", err=True)
    click.echo(f"Wrote {len(written)} file(s): {', '.join(str(p) for p in written[:5])}"
               + (" ..." if len(written) > 5 else ""))
