"""Import errors and results, and the checks shared by every format.

Each format parser turns a file into ``Loaded``: the items it could build, each
``Located`` (line of the item and of its fields), plus the errors it found in
the file's syntax and shape.  ``finish`` then applies the domain rules, the
HTML policy and the cross-item checks, and enforces all-or-nothing.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence, Set
from dataclasses import dataclass, field

from certexam.bankio.sanitize import html_problems
from certexam.domain.items import (
    Item,
    Problem,
    find_duplicate_ids,
    find_unknown_enemies,
    iter_texts,
    validate_item,
)

MAX_FILE_BYTES = 20 * 1024 * 1024  # a guard against runaway uploads, not a programme rule


@dataclass(frozen=True)
class BankError:
    """One problem found on import; ``line`` is 1-based, None where the format has no lines."""

    file: str
    line: int | None
    item_id: str | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f", line {self.line}" if self.line else "")
        return where + (f", item {self.item_id}" if self.item_id else "") + ": " + self.message


@dataclass(frozen=True)
class ParseResult:
    """Items or errors, never both (import is all-or-nothing)."""

    items: tuple[Item, ...] = ()
    errors: tuple[BankError, ...] = ()
    notes: tuple[BankError, ...] = ()  # what the import changed or left out, said with or without errors
    unmapped: tuple[str, ...] = ()  # Moodle categories holding questions that no mapping gives a module

    def __post_init__(self) -> None:
        if self.items and self.errors:
            raise ValueError("a ParseResult with errors must hold no items")

    @property
    def ok(self) -> bool:
        return not self.errors


class ExportError(ValueError):
    """The chosen format cannot carry some of the items (the message names them)."""


@dataclass
class Located:
    """An item as parsed, with where its fields were written."""

    item: Item
    line: int | None
    lines: dict[str, int] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)  # fields already reported as malformed
    renumber: str | None = None  # not None: the item needs an id (the unusable one it came with, or "")

    def line_of(self, path: str) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[: max(path.rfind("."), path.rfind("["), 0)]
        return self.line

    def suppressed(self, path: str) -> bool:
        """True when ``path`` lies in a field whose malformation was already reported."""
        return any(path == b or path.startswith((b + ".", b + "[")) for b in self.broken)


@dataclass
class Loaded:
    file: str
    items: list[Located] = field(default_factory=list)
    errors: list[BankError] = field(default_factory=list)
    notes: list[BankError] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)

    def error(self, line: int | None, message: str, item_id: str | None = None) -> None:
        self.errors.append(BankError(self.file, line, item_id or None, message))

    def note(self, line: int | None, message: str, item_id: str | None = None) -> None:
        self.notes.append(BankError(self.file, line, item_id or None, message))


def decode(data: bytes, loaded: Loaded) -> str | None:
    """The file's text (UTF-8, optional BOM), or None after recording why not."""
    if len(data) > MAX_FILE_BYTES:
        loaded.error(None, f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
        return None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        if exc.end == len(data) and exc.reason == "unexpected end of data":
            loaded.error(line, "The file ends in the middle of a character: it is probably truncated.")
        else:
            loaded.error(line, f"The file is not UTF-8 text (byte 0x{data[exc.start]:02X} is invalid); save it as UTF-8.")
        return None
    if not text.strip():
        loaded.error(None, "The file is empty.")
        return None
    return text


def clean_text(value: str) -> str:
    """Normalise line ends and trim: how every imported text is stored."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def item_errors(file: str, located: Located) -> list[BankError]:
    """Domain and HTML problems of one item, with lines."""
    item = located.item
    problems = validate_item(item)
    for path, label, text in iter_texts(item):
        for code, value in text.items():
            problems += [Problem(path, f"The {label} ({code}) has {m}.") for m in html_problems(value)]
    return [
        BankError(file, located.line_of(p.path), item.id or None, p.message)
        for p in problems
        if not located.suppressed(p.path)
    ]


def finish(files: Sequence[Loaded], existing_ids: Set[str] = frozenset()) -> ParseResult:
    """Check every item, across all files, and apply all-or-nothing."""
    errors: list[BankError] = []
    where: list[tuple[str, Located]] = []
    for loaded in files:
        errors += loaded.errors
        for located in loaded.items:
            errors += item_errors(loaded.file, located)
            where.append((loaded.file, located))
    items = [located.item for _, located in where]
    for dup in find_duplicate_ids(items):
        file, located = where[dup.index]
        first_file, first = where[dup.first_index]
        first_line = first.line_of(dup.first_path)
        at = f"{first_file}" + (f" line {first_line}" if first_line else "")
        message = f"The id '{dup.id}' is used more than once (first in {at})."
        errors.append(BankError(file, located.line_of(dup.path), dup.id, message))
    for index, problem in find_unknown_enemies(items, existing_ids):
        file, located = where[index]
        errors.append(BankError(file, located.line_of(problem.path), located.item.id, problem.message))
    order = {loaded.file: i for i, loaded in enumerate(files)}
    errors.sort(key=lambda e: (order.get(e.file, 0), e.line or 0))
    notes = tuple(note for loaded in files for note in loaded.notes)
    unmapped = tuple(dict.fromkeys(path for loaded in files for path in loaded.unmapped))
    return ParseResult(() if errors else tuple(items), tuple(errors), notes, unmapped)
