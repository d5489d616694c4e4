"""Entry point: read bank files in any supported format, and export items.

``read_files`` parses every file, then checks across all of them (duplicate
ids, enemies that exist), and returns items only when there is no error at all.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable, Iterable, Sequence, Set
from pathlib import Path, PurePath

from certexam.bankio import csv_format, moodle_export, moodle_xml, qti, yaml_format
from certexam.bankio.errors import MAX_FILE_BYTES, BankError, ExportError, Loaded, ParseResult, finish
from certexam.bankio.moodle_map import MoodleOptions, assign_ids
from certexam.domain.catalogue import MODULES_BY_CODE
from certexam.domain.items import Item

FORMATS: tuple[str, ...] = ("yaml", "csv", "moodle", "qti")
EXTENSIONS = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv", ".xml": "moodle", ".zip": "qti"}
FILE_NAMES = {"csv": "bank.csv", "moodle": "bank.xml", "qti": "certexam-qti3.zip"}
GLOSSARY_NAME = "glossary.yaml"  # the terminology (issue 22) beside the banks: not a bank file


def bank_files(folder: Path) -> list[str]:
    """Every bank file in a folder and below it, sorted; the glossary is not one."""
    return sorted(str(f) for f in folder.rglob("*")
                  if f.suffix in EXTENSIONS and f.is_file() and f.name != GLOSSARY_NAME)
_LOADERS: dict[str, Callable[[bytes, str], Loaded]] = {
    "yaml": yaml_format.load_yaml,
    "csv": csv_format.load_csv,
    "moodle": moodle_xml.load_moodle,
    "qti": qti.load_qti,
}
_DUMPERS: dict[str, Callable[[Sequence[Item]], bytes]] = {
    "yaml": yaml_format.dump_yaml,
    "csv": csv_format.dump_csv,
    "moodle": moodle_export.dump_moodle,
    "qti": qti.dump_qti,
}
_REASONS: dict[str, Callable[[Item], str | None]] = {
    "yaml": lambda item: None,
    "csv": csv_format.unsupported_reason,
    "moodle": moodle_export.unsupported_reason,
    "qti": qti.unsupported_reason,
}
_YAML_HEAD = re.compile(rb"^format:\s*['\"]?certexam-bank/", re.MULTILINE)

Source = str | os.PathLike[str] | tuple[str, bytes]


def detect_format(name: str, data: bytes) -> str | None:
    """The format by file extension, else by a look at the content; None if unknown."""
    by_name = EXTENSIONS.get(PurePath(name).suffix.lower())
    if by_name:
        return by_name
    if data.startswith(b"PK\x03\x04"):
        return "qti"  # a zip: the only zipped format is a QTI content package
    head = data[:4096].removeprefix(codecs.BOM_UTF8).lstrip()
    if head.startswith(b"<"):
        return "moodle"
    if _YAML_HEAD.search(head):
        return "yaml"
    first_line = head.split(b"\n", 1)[0].replace(b'"', b"").strip().lower()
    return "csv" if first_line.startswith(b"id,") or b",id," in first_line else None


def _load(source: Source, fmt: str | None, moodle: MoodleOptions | None) -> Loaded:
    if isinstance(source, tuple):
        name, data = source
    else:
        name = os.fspath(source)
        try:
            with Path(name).open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            loaded = Loaded(name)
            loaded.error(None, f"The file cannot be read: {exc.strerror or exc}.")
            return loaded
    chosen = fmt or detect_format(name, data)
    if chosen not in _LOADERS:
        loaded = Loaded(name)
        loaded.error(None, "The format of this file is unknown: name it .yaml, .csv or .xml.")
        return loaded
    if chosen == "moodle":
        return moodle_xml.load_moodle(data, name, moodle)
    if chosen == "qti":
        return qti.load_qti(data, name, moodle)
    return _LOADERS[chosen](data, name)


def read_files(sources: Iterable[Source], existing_ids: Set[str] = frozenset(), fmt: str | None = None,
               moodle: MoodleOptions | None = None) -> ParseResult:
    """Parse and check several files as one import (all-or-nothing).

    ``existing_ids`` are ids already in the bank, which enemies may name and
    new ids follow.  ``fmt`` forces a format instead of detecting it per file.
    ``moodle`` holds the Moodle files' category mapping and choices.
    """
    loaded = [_load(source, fmt, moodle) for source in sources]
    if not loaded:
        return ParseResult(errors=(BankError("", None, None, "No files were given."),))
    assign_ids(loaded, existing_ids)
    return finish(loaded, existing_ids)


def read_bytes(name: str, data: bytes, existing_ids: Set[str] = frozenset(), fmt: str | None = None,
               moodle: MoodleOptions | None = None) -> ParseResult:
    """Parse and check one uploaded file."""
    return read_files([(name, data)], existing_ids, fmt, moodle)


def unsupported(items: Iterable[Item], fmt: str) -> list[tuple[str, str]]:
    """(id, reason) for every item that ``fmt`` cannot carry."""
    reason_of = _REASONS[fmt]
    return [(item.id, reason) for item in items if (reason := reason_of(item))]


def export(items: Sequence[Item], fmt: str) -> bytes:
    """Items as one file; raises ExportError if the format cannot carry them all.

    YAML files hold one module each: use ``export_files`` for a whole bank.
    """
    if fmt not in _DUMPERS:
        raise ExportError(f"Unknown export format '{fmt}' (use {', '.join(FORMATS)}).")
    if not items:
        raise ExportError("There are no items to export.")
    return _DUMPERS[fmt](items)


def export_files(items: Sequence[Item], fmt: str) -> dict[str, bytes]:
    """Items as named files: for YAML one per module (level1/L1-ETH.yaml, as shipped)."""
    if fmt != "yaml":
        return {FILE_NAMES.get(fmt, f"bank.{fmt}"): export(items, fmt)}
    by_module: dict[str, list[Item]] = {}
    for item in items:
        by_module.setdefault(item.module, []).append(item)
    files = {}
    for module, group in by_module.items():
        level = MODULES_BY_CODE[module].level if module in MODULES_BY_CODE else 0
        files[f"level{level}/{module}.yaml"] = export(group, "yaml")
    return files
