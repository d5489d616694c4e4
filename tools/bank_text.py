"""Export the texts of a shipped bank file that lack a language, and put translations back in place.

The shipped banks (certexam/question_bank) are hand-formatted YAML; a YAML library would re-emit them
in its own style. This works on lines: a text is a run of language entries at one indentation
(``zh_Hans:``, ``zh_Hant:``, ``en:``, ``pt:``), each either ``code: "quoted"`` or ``code: |-`` with an
indented block. A missing language is inserted after the run, in the style of its English entry.

    python tools/bank_text.py export --lang pt FILE.yaml > todo.json
        [{"key": "L1-ACC-0001#0", "en": "...", "zh_Hans": "..."}, ...]  (texts lacking pt)
    python tools/bank_text.py apply --lang pt FILE.yaml done.json
        done.json: {"L1-ACC-0001#0": "texto em português", ...}; every key must be a text lacking the
        language, and the file must still read as a bank afterwards (checked before it is written).

    python tools/bank_text.py terms FILE.yaml
        the texts whose translations miss a term of question_bank/glossary.yaml (domain/glossary.py)

Keys are the item id and the text's position within the item, so export and apply must see the same
file (apply refuses a key it does not find).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

LANGS = ("zh_Hans", "zh_Hant", "en", "pt")
ENTRY = re.compile(r"^(?P<indent>\s*)(?P<lang>zh_Hans|zh_Hant|en|pt): (?P<rest>.*)$")
ITEM_ID = re.compile(r"^\s*- id: (?P<id>\S+)\s*$")


@dataclass
class Run:
    """One text: its language entries (lang -> (first line, end line exclusive, value))."""

    key: str
    indent: str
    end: int
    entries: dict[str, tuple[int, int, str]]


def _value(lines: list[str], i: int, indent: str) -> tuple[str, int]:
    """The entry's text and the line after it."""
    rest = ENTRY.match(lines[i]).group("rest")  # type: ignore[union-attr]
    if rest.startswith("|"):
        body, j = [], i + 1
        while j < len(lines) and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > len(indent)):
            body.append(lines[j])
            j += 1
        while body and not body[-1].strip():  # trailing blank lines belong to the next item
            body.pop()
            j -= 1
        pad = min(len(b) - len(b.lstrip()) for b in body if b.strip())
        return "\n".join(b[pad:] for b in body), j
    if rest.startswith('"'):
        return json.loads(rest), i + 1
    if rest.startswith("'"):
        return rest[1:-1].replace("''", "'"), i + 1
    return rest, i + 1


def runs(lines: list[str]) -> list[Run]:
    out: list[Run] = []
    item, n, i = "", 0, 0
    while i < len(lines):
        m = ITEM_ID.match(lines[i])
        if m:
            item, n = m.group("id"), 0
        e = ENTRY.match(lines[i])
        if not e:
            i += 1
            continue
        indent, entries = e.group("indent"), {}
        while i < len(lines) and (e := ENTRY.match(lines[i])) and e.group("indent") == indent:
            value, j = _value(lines, i, indent)
            entries[e.group("lang")] = (i, j, value)
            i = j
        out.append(Run(f"{item}#{n}", indent, i, entries))
        n += 1
    return out


def _render(indent: str, lang: str, text: str, block: bool) -> list[str]:
    if block or "\n" in text:
        return [f"{indent}{lang}: |-", *[f"{indent}  {t}" if t else "" for t in text.split("\n")]]
    return [f"{indent}{lang}: {json.dumps(text, ensure_ascii=False)}"]


def apply(path: Path, lang: str, done: dict[str, str]) -> str:
    lines = path.read_text(encoding="utf-8").split("\n")
    todo = {r.key: r for r in runs(lines) if lang not in r.entries}
    unknown = sorted(set(done) - set(todo))
    if unknown:
        raise SystemExit(f"{path}: no text lacking {lang} under {', '.join(unknown[:5])}")
    for key in sorted(done, key=lambda k: todo[k].end, reverse=True):  # bottom up: positions hold
        run = todo[key]
        model = run.entries.get("en") or next(iter(run.entries.values()))
        block = lines[model[0]].rstrip().endswith(("|-", "|"))
        lines[run.end:run.end] = _render(run.indent, lang, done[key].strip(), block)
    return "\n".join(lines)


def check(text: str, path: Path) -> None:
    """Refuse a result that no longer reads as a bank."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import tempfile

    from certexam.bankio import reader

    with tempfile.TemporaryDirectory() as d:
        probe = Path(d) / path.name
        probe.write_text(text, encoding="utf-8")
        read = reader.read_files([str(probe)])
    if read.errors:
        raise SystemExit(f"{path}: the result does not read as a bank: {read.errors[:3]}")


def _terms(path: Path) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import yaml

    from certexam.domain.glossary import check_texts, parse

    glossary = Path(__file__).resolve().parents[1] / "certexam" / "question_bank" / "glossary.yaml"
    terms = parse(yaml.safe_load(glossary.read_text(encoding="utf-8")))
    lines = path.read_text(encoding="utf-8").split("\n")
    problems = check_texts(((r.key, {k: v[2] for k, v in r.entries.items()}) for r in runs(lines)), terms)
    for p in problems:
        print(f"{p.where} {p.language}: '{p.en}' should be one of {', '.join(p.expected)}")
    return 1 if problems else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=("export", "apply", "terms"))
    ap.add_argument("--lang", choices=LANGS)
    ap.add_argument("file", type=Path)
    ap.add_argument("translations", type=Path, nargs="?")
    a = ap.parse_args()
    if a.command == "terms":
        sys.exit(_terms(a.file))
    if a.lang is None:
        raise SystemExit("--lang is needed")
    if a.command == "export":
        lines = a.file.read_text(encoding="utf-8").split("\n")
        todo = [{"key": r.key, **{k: v[2] for k, v in r.entries.items() if k in ("en", "zh_Hans")}}
                for r in runs(lines) if a.lang not in r.entries]
        json.dump(todo, sys.stdout, ensure_ascii=False, indent=1)
        return
    if a.translations is None:
        raise SystemExit("apply needs the translations file")
    text = apply(a.file, a.lang, json.loads(a.translations.read_text(encoding="utf-8")))
    check(text, a.file)
    a.file.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
