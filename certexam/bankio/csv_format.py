"""CSV for choice items: one row per item, one column per field and language.

The columns are documented in CSV_FORMAT_DOC (for question_bank/README.md).
A spreadsheet user edits cells, not markup: an option exists when one of its
cells has text, and a language is offered when its stem cell has text.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Sequence

from certexam.bankio.errors import ExportError, Loaded, Located, ParseResult, clean_text, decode, finish
from certexam.domain.catalogue import LANGUAGES, REQUIRED_ITEM_LANGUAGE
from certexam.domain.items import (
    CHOICE_TYPES,
    DEFAULT_SCORING,
    MULTIPLE_RESPONSE,
    TRUE_FALSE,
    Answer,
    Item,
    Option,
    Text,
)

KEYS = "ABCDEFGH"  # README "Answers by type": at most 8 options, so columns A to H
META_COLUMNS = ("id", "module", "type", "difficulty", "scoring", "tags", "enemies", "answer")
TEXT_FIELDS = ("stem", *KEYS, "explanation")
REQUIRED_COLUMNS = ("id", "module", "type", "answer", f"stem_{REQUIRED_ITEM_LANGUAGE}")
_SEPARATORS = re.compile(r"[\s,;]+")
_FORMULA_START = "=+-@\t\r"  # cells a spreadsheet would run as a formula (CSV injection)
_NUMBER = re.compile(r"[0-9]{1,9}")

CSV_FORMAT_DOC = """\
## CSV (choice items only)

`certexam bank import` reads, and `certexam bank export --format csv` writes,
UTF-8 CSV (comma-separated, a UTF-8 BOM is accepted and written so that Excel
shows Chinese correctly). It carries `single_choice`, `multiple_response` and
`true_false` items; item sets and constructed items need YAML. The first row
names the columns, in any order; one further row per item:

| column | content |
| --- | --- |
| `id` | the item id, as in YAML (required) |
| `module` | a module code from the catalogue (required) |
| `type` | `single_choice`, `multiple_response` or `true_false` (required) |
| `difficulty` | 1 to 5, or empty |
| `scoring` | multiple_response only: `all_or_nothing` (default when empty) or `partial` |
| `tags`, `enemies` | words / item ids separated by spaces, commas or semicolons |
| `answer` | single_choice: one key (`B`); multiple_response: keys (`A,C`); true_false: `true`/`false` |
| `stem_<lang>` | the stem in language `<lang>` (`zh_Hans`, `zh_Hant`, `en`, `pt`); `stem_zh_Hans` is required |
| `A_<lang>` ... `H_<lang>` | option texts; an option exists when one of its cells is filled |
| `explanation_<lang>` | the explanation, or empty |

A language is offered when its stem cell is filled; every option (and the
explanation, if any) must then have text in that language too. Cells may use
the same rich-text subset as YAML. A cell that would start with `=`, `+`, `-`,
`@` (or `'`) is written with a leading `'` so that spreadsheets do not run it
as a formula; on import one such leading `'` is removed. Errors give the line
where the row starts.
"""


def _guard(value: str) -> str:
    return "'" + value if value[:1] and value[0] in _FORMULA_START + "'" else value


def _unguard(cell: str) -> str:
    return cell[1:] if len(cell) > 1 and cell[0] == "'" and cell[1] in _FORMULA_START + "'" else cell


def _is_text_column(name: str) -> bool:
    field, _, lang = name.partition("_")
    return field in TEXT_FIELDS and lang in LANGUAGES


def _header(cells: list[str], line: int, loaded: Loaded) -> dict[str, int] | None:
    if len(cells) == 1 and ";" in cells[0]:
        loaded.error(line, "The header has one column with semicolons in it: separate columns with commas.")
        return None
    columns: dict[str, int] = {}
    for i, name in enumerate(c.strip() for c in cells):
        if name in columns:
            loaded.error(line, f"The column '{name}' appears twice in the header.")
        elif name in META_COLUMNS or _is_text_column(name):
            columns[name] = i
        elif name:
            loaded.error(line, f"The column '{name}' is not known; see the CSV format description.")
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        loaded.error(line, f"The header lacks the required column(s) {', '.join(missing)}.")
    return None if loaded.errors else columns


def _answer(raw: str, item_type: str, located: Located, loaded: Loaded) -> Answer:
    if not raw:
        return None
    if item_type == MULTIPLE_RESPONSE:
        keys = [k for k in _SEPARATORS.split(raw) if k]
        if len(keys) == 1 and re.fullmatch(r"[A-Z]{2,}", keys[0]):
            keys = list(keys[0])  # "AC" means A and C
        return tuple(keys)
    if item_type == TRUE_FALSE:
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        located.broken.add("answer")
        loaded.error(located.line, "The answer of a true_false item must be true or false.", located.item.id)
    return raw


def _row_item(cell: dict[str, str], line: int, loaded: Loaded) -> Located | None:
    item_id, item_type = cell["id"], cell["type"]
    if item_type and item_type not in CHOICE_TYPES:
        loaded.error(line, f"The type '{item_type}' cannot be carried in CSV, which holds only "
                     f"{', '.join(CHOICE_TYPES)} items.", item_id)
        return None
    located = Located(Item(item_id, cell["module"], item_type, Text()), line)
    difficulty = None
    if _NUMBER.fullmatch(cell["difficulty"]):
        difficulty = int(cell["difficulty"])
    elif cell["difficulty"]:
        located.broken.add("difficulty")
        loaded.error(line, f"The difficulty must be a whole number, not '{cell['difficulty']}'.", item_id)

    def text(field: str) -> Text:
        return Text({lang: cell[f"{field}_{lang}"] for lang in LANGUAGES if cell[f"{field}_{lang}"]})

    options = tuple(Option(key, text(key)) for key in KEYS if text(key))
    default_scoring = DEFAULT_SCORING if item_type == MULTIPLE_RESPONSE else None
    located.item = Item(
        id=item_id,
        module=cell["module"],
        type=item_type,
        stem=text("stem"),
        options=options,
        answer=_answer(cell["answer"], item_type, located, loaded),
        explanation=text("explanation"),
        difficulty=difficulty,
        tags=tuple(t for t in _SEPARATORS.split(cell["tags"]) if t),
        enemies=tuple(t for t in _SEPARATORS.split(cell["enemies"]) if t),
        scoring=cell["scoring"] or default_scoring,
    )
    return located


def _rows(text: str, loaded: Loaded) -> list[tuple[int, list[str]]] | None:
    """Rows with the physical line where each starts, or None after a syntax error."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    end = 0
    try:
        for row in reader:
            rows.append((end + 1, row))
            end = reader.line_num
    except csv.Error as exc:
        loaded.error(end + 1, f"The CSV is not valid: {exc} (is a quoted cell left open?).")
        return None
    return rows


def load_csv(data: bytes, file: str) -> Loaded:
    """Parse one CSV file into located items and file-level errors."""
    loaded = Loaded(file)
    text = decode(data, loaded)
    rows = _rows(text, loaded) if text is not None else None
    if rows is None:
        return loaded
    rows = [(line, row) for line, row in rows if any(c.strip() for c in row)]
    if not rows:
        loaded.error(None, "The file has no header row and no items.")
        return loaded
    (header_line, header), body = rows[0], rows[1:]
    columns, width = _header(header, header_line, loaded), len(header)
    if columns is None:
        return loaded
    if not body:
        loaded.error(None, "The file has a header but no items.")
    for line, row in body:
        if len(row) < width or any(c.strip() for c in row[width:]):
            truncated = " (the file may be truncated)" if len(row) < width else ""
            loaded.error(line, f"The row has {len(row)} cells but the header has {width} columns{truncated}.")
            continue
        cell = {name: "" for name in META_COLUMNS}
        cell |= {f"{f}_{lang}": "" for f in TEXT_FIELDS for lang in LANGUAGES}
        for name, index in columns.items():
            value = _unguard(row[index].strip())
            cell[name] = clean_text(value) if _is_text_column(name) else value.strip()
        located = _row_item(cell, line, loaded)
        if located is not None:
            loaded.items.append(located)
    return loaded


def parse_csv(data: bytes, file: str = "bank.csv") -> ParseResult:
    """Parse and check one CSV file on its own."""
    return finish([load_csv(data, file)])


def unsupported_reason(item: Item) -> str | None:
    """Why CSV cannot carry this item, or None."""
    if item.type not in CHOICE_TYPES:
        return f"CSV holds only {', '.join(CHOICE_TYPES)} items, not {item.type}"
    keys = item.option_keys()
    if any(k not in KEYS for k in keys) or list(keys) != sorted(keys):
        return f"CSV option columns are A to H in order; the keys are {', '.join(keys)}"
    return None


def _answer_cell(answer: Answer) -> str:
    if isinstance(answer, bool):
        return "true" if answer else "false"
    if isinstance(answer, tuple):
        return ",".join(answer)
    return answer or ""


def dump_csv(items: Sequence[Item]) -> bytes:
    """Choice items as CSV (UTF-8 with BOM, CRLF line ends, as spreadsheets expect)."""
    refused = [f"{item.id}: {reason}" for item in items if (reason := unsupported_reason(item))]
    if refused:
        raise ExportError("These items cannot be exported as CSV: " + "; ".join(refused))
    langs = [lang for lang in LANGUAGES if any(lang in item.stem for item in items)]
    used = [KEYS.index(key) for item in items for key in item.option_keys()]
    fields = ("stem", *KEYS[: max(used, default=-1) + 1], "explanation")
    header = [*META_COLUMNS, *(f"{f}_{lang}" for f in fields for lang in langs)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for item in items:
        texts = {"stem": item.stem, "explanation": item.explanation} | {o.key: o.text for o in item.options}
        row = [item.id, item.module, item.type, "" if item.difficulty is None else str(item.difficulty),
               item.scoring or "", " ".join(item.tags), " ".join(item.enemies), _answer_cell(item.answer)]
        row += [texts.get(f, Text()).get(lang, "") for f in fields for lang in langs]
        writer.writerow([_guard(value) for value in row])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")
