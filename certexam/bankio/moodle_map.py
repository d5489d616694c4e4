"""What a Moodle import needs beyond the file: categories mapped to modules, ids for questions without one.

Moodle files name a category path per question (``$course$/top/Iota/Kappa``); certexam
needs a module.  A mapping ``Iota/Kappa=L1-ETH`` gives it; a mapped category also
covers its sub-categories unless they have their own line (the longest path wins).
Without a line, a category whose last segment is a module code (certexam's own
export, ``$course$/certexam/L1-ETH``) keeps that module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field, replace

from certexam.bankio.errors import BankError, Loaded
from certexam.domain.catalogue import MODULES_BY_CODE
from certexam.domain.items import ID_PATTERN, SUBTYPES

_CONTEXT = re.compile(r"^\$[a-z]+\$/?")  # $course$/, $system$/, $cat$/, $module$/: where Moodle keeps the bank
DEFAULT_ESSAY_SUBTYPE = "short_answer"  # the level-2 kind nearest a Moodle essay; changed per import


def category_path(raw: str) -> str:
    """A category as the mapping names it: no context prefix, no 'top' root, no slashes at the ends."""
    path = _CONTEXT.sub("", raw.strip()).strip("/")
    if path == "top" or path.startswith("top/"):
        path = path[4:]
    return "/".join(part.strip() for part in path.split("/")) if path else ""


@dataclass(frozen=True)
class MoodleOptions:
    """The import's choices: category mapping, skipping unsupported questions, the essays' subtype."""

    mapping: Mapping[str, str] = field(default_factory=dict)
    skip_unsupported: bool = False
    essay_subtype: str = DEFAULT_ESSAY_SUBTYPE

    def module_for(self, raw_category: str) -> str | None:
        """The module of a category: its own mapping line or its nearest mapped parent, else its last segment."""
        path = category_path(raw_category)
        probe = path
        while True:
            if probe in self.mapping:
                return self.mapping[probe]
            if not probe:
                break
            probe = probe.rsplit("/", 1)[0] if "/" in probe else ""
        last = path.rsplit("/", 1)[-1]
        return last if last in MODULES_BY_CODE else None


def parse_mapping(lines: Iterable[str], source: str = "mapping") -> tuple[dict[str, str], list[BankError]]:
    """``category=MODULE`` lines (blank lines and # comments skipped) as a mapping, and its errors."""
    mapping: dict[str, str] = {}
    errors: list[BankError] = []
    for n, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if "=" not in text:
            errors.append(BankError(source, n, None, f"'{text[:60]}' is not of the form category=MODULE "
                                                     "(for example Iota/Kappa=L1-ETH)."))
            continue
        raw, module = (part.strip() for part in text.rsplit("=", 1))
        path = category_path(raw)
        if module not in MODULES_BY_CODE:
            errors.append(BankError(source, n, None, f"The module '{module[:40]}' is not in the catalogue "
                                                     f"(codes such as {next(iter(MODULES_BY_CODE))})."))
        elif path in mapping and mapping[path] != module:
            errors.append(BankError(source, n, None, f"The category '{path}' is mapped twice "
                                                     f"({mapping[path]} and {module})."))
        else:
            mapping[path] = module
    return mapping, errors


def check_subtype(subtype: str) -> str | None:
    """Why ``subtype`` cannot be the essays' subtype, or None."""
    return None if subtype in SUBTYPES else f"The essay subtype must be one of {', '.join(SUBTYPES)}, not '{subtype}'."


def assign_ids(files: Sequence[Loaded], existing_ids: Set[str]) -> None:
    """Give every question that came without a usable id the module's next free number (L1-ETH-0026).

    Numbers follow the highest already used in the bank and in this import, in file order,
    so that an export and re-import keeps them.
    """
    taken = set(existing_ids) | {located.item.id for loaded in files for located in loaded.items
                                 if located.renumber is None}
    highest: dict[str, int] = {}
    for item_id in taken:
        module, _, number = item_id.rpartition("-")
        if module in MODULES_BY_CODE and number.isascii() and number.isdigit():
            highest[module] = max(highest.get(module, 0), int(number))
    for loaded in files:
        for located in loaded.items:
            module = located.item.module
            if located.renumber is None or module not in MODULES_BY_CODE:
                continue
            highest[module] = highest.get(module, 0) + 1
            new_id = f"{module}-{highest[module]:04d}"
            was, located.renumber = located.renumber, None
            located.item = replace(located.item, id=new_id)
            if was:
                loaded.note(located.line, f"The Moodle idnumber '{was[:40]}' is not a certexam id "
                                          f"({ID_PATTERN.pattern}); the question gets {new_id}.", new_id)


def build_options(map_lines: Iterable[str], map_file: tuple[str, str] | None = None, *, skip_unsupported: bool = False,
                  essay_subtype: str = DEFAULT_ESSAY_SUBTYPE) -> tuple[MoodleOptions, list[BankError]]:
    """The import's Moodle options from ``--map`` lines and a mapping file (name, text), and their errors."""
    mapping, errors = parse_mapping(map_lines, "--map")
    if map_file is not None:
        from_file, file_errors = parse_mapping(map_file[1].splitlines(), map_file[0])
        errors += file_errors
        for path, module in from_file.items():
            if mapping.get(path, module) != module:
                errors.append(BankError(map_file[0], None, None, f"The category '{path}' is mapped twice "
                                                                 f"({mapping[path]} and {module})."))
            mapping[path] = module
    if why := check_subtype(essay_subtype):
        errors.append(BankError("--essay-subtype", None, None, why))
    return MoodleOptions(mapping, skip_unsupported, essay_subtype), errors
