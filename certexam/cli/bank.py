"""`certexam bank validate|import|export`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import click
from flask.cli import with_appcontext

from certexam import db
from certexam.bankio import reader
from certexam.bankio.errors import ParseResult
from certexam.bankio.moodle_map import DEFAULT_ESSAY_SUBTYPE, MoodleOptions, build_options
from certexam.domain.items import SUBTYPES
from certexam.errors import UserError
from certexam.models import User


def _print_errors(result: ParseResult, importing: bool) -> None:
    for e in result.errors:
        where = e.file + (f":{e.line}" if e.line else "") + (f" [{e.item_id}]" if e.item_id else "")
        click.echo(f"{where}: {e.message}", err=True)
    click.echo(f"{len(result.errors)} error(s)" + ("; nothing was imported." if importing else "."), err=True)


def _print_notes(result: ParseResult) -> None:
    for e in result.notes:
        where = e.file + (f":{e.line}" if e.line else "") + (f" [{e.item_id}]" if e.item_id else "")
        click.echo(f"{where}: note: {e.message}", err=True)


def moodle_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The Moodle XML choices of `bank import` (issue 22): category mapping, unsupported questions, essays."""
    for option in reversed([
        click.option("--map", "map_lines", multiple=True, metavar="CATEGORY=MODULE",
                     help="Map a Moodle category (and its sub-categories) to a module, e.g. 'Iota/Kappa=L1-ETH'."),
        click.option("--map-file", type=click.File("r", encoding="utf-8"),
                     help="A file of CATEGORY=MODULE lines (# comments allowed)."),
        click.option("--skip-unsupported", is_flag=True,
                     help="Leave out Moodle questions certexam cannot hold (listed) instead of importing nothing."),
        click.option("--essay-subtype", type=click.Choice(SUBTYPES), default=DEFAULT_ESSAY_SUBTYPE,
                     show_default=True, help="The subtype of Moodle essays that carry no certexam:subtype tag."),
    ]):
        command = option(command)
    return command


def moodle_choices(map_lines: tuple[str, ...], map_file: TextIO | None, skip_unsupported: bool,
                   essay_subtype: str) -> MoodleOptions:
    """The options as the reader takes them; exit 1 on a bad mapping."""
    options, errors = build_options(map_lines, (map_file.name, map_file.read()) if map_file else None,
                                    skip_unsupported=skip_unsupported, essay_subtype=essay_subtype)
    if errors:
        _print_errors(ParseResult(errors=tuple(errors)), importing=True)
        sys.exit(1)
    return options


def expand(paths: tuple[str, ...]) -> list[str]:
    """Files as given, and for a folder every bank file inside it (sorted)."""
    out: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out += reader.bank_files(path)
        else:
            out.append(p)
    return out


@click.group("bank")
def bank_group() -> None:
    """Validate, import and export question banks."""


@bank_group.command("validate")
@click.argument("files", nargs=-1, required=True)
@moodle_options
@with_appcontext
def validate_command(files: tuple[str, ...], **moodle: Any) -> None:
    """Check bank files without writing anything; exit 1 on any error."""
    from certexam.services.bank import checks
    from certexam.services.bank import items as bank

    result = bank.validate(expand(files), moodle_choices(**moodle))
    _print_notes(result)
    if result.errors:
        _print_errors(result, importing=False)
        sys.exit(1)
    click.echo(f"{len(result.items)} item(s) valid.")
    found = checks.run(result.items)
    _print_coverage(found.coverage)
    for level, pattern in found.patterns:
        click.echo(f"Level {level}, {pattern.language}: the key is the longest option in {pattern.longest} of "
                   f"{pattern.items} single-choice items; keys by letter: "
                   + ", ".join(f"{k} {n}" for k, n in pattern.letters))
    problems = found.problems()
    for line in problems:
        click.echo(f"  {line}", err=True)
    if problems:
        click.echo(f"{len(problems)} bank check(s) failed (issue 22: key pattern, glossary).", err=True)
        sys.exit(1)


def _print_coverage(coverage: Any) -> None:
    """Texts per module in each language, as a small table."""
    click.echo("Language coverage (texts in the language / all texts):")
    for module, langs in coverage.rows:
        click.echo(f"  {module:8s} " + "  ".join(f"{lang} {have}/{total}" for lang, (have, total) in langs.items()))
    click.echo("  every text in every language" if coverage.complete() else "  not every text in every language")


def _import_people(approve: bool, importer: str | None, reviewer: str | None) -> tuple[User | None, User | None]:
    """The named importer and reviewer (issue 19.6: `--approve` skipped the four-eyes rule)."""
    from certexam.models import Role
    from certexam.services.accounts.users import find_by_email

    if approve and not (importer and reviewer):
        raise click.ClickException("--approve needs --importer EMAIL and --reviewer EMAIL: an item reviewer "
                                   "other than the importer approves the imported versions.")
    if reviewer and not approve:
        raise click.ClickException("--reviewer is only for --approve.")
    people: list[User | None] = []
    for email, role, what in ((importer, Role.ITEM_AUTHOR, "item author"), (reviewer, Role.ITEM_REVIEWER,
                                                                             "item reviewer")):
        user = find_by_email(db.session(), email) if email else None
        if email and (user is None or not user.active or not user.has_role(role)):
            raise click.ClickException(f"{email} is not an active {what}.")
        people.append(user)
    if people[0] is not None and people[1] is not None and people[0].id == people[1].id:
        raise click.ClickException("The importer cannot review their own import: name a different item reviewer.")
    return people[0], people[1]


@bank_group.command("import")
@click.argument("files", nargs=-1, required=True)
@click.option("--approve", is_flag=True,
              help="Approve the imported versions at once (bulk load; audited): needs --importer and --reviewer.")
@click.option("--importer", metavar="EMAIL", help="The item author bringing the items in (recorded as their author).")
@click.option("--reviewer", metavar="EMAIL",
              help="With --approve: the item reviewer who approves them; never the importer (four eyes).")
@moodle_options
@with_appcontext
def import_command(files: tuple[str, ...], approve: bool, importer: str | None, reviewer: str | None,
                   **moodle: Any) -> None:
    """Import bank files: all of them, or nothing if any has an error."""
    from certexam.services.bank import items as bank

    author, checker = _import_people(approve, importer, reviewer)
    paths = expand(files)
    result = bank.validate(paths, moodle_choices(**moodle))
    _print_notes(result)
    if result.errors:
        _print_errors(result, importing=True)
        sys.exit(1)
    with click.progressbar(length=len(result.items), label="Importing", file=sys.stderr) as bar:
        last = 0

        def step(n: int) -> None:
            nonlocal last
            bar.update(n - last)
            last = n

        try:
            report = bank.import_items(result.items, author, approve=approve, source=",".join(paths), progress=step,
                                       reviewer=checker)
        except UserError as exc:
            raise click.ClickException(exc.message) from exc
    click.echo(f"Imported: {report.created} new, {report.updated} changed, {report.unchanged} unchanged.")


@bank_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["yaml", "csv", "moodle-xml", "qti"]), default="yaml")
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
