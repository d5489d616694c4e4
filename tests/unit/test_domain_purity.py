"""certexam/domain must stay pure: standard library only, no clock reads."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "certexam" / "domain"
STDLIB = set(sys.stdlib_module_names)
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time"),
               ("time", "monotonic"), ("datetime", "today")}


def _modules() -> list[Path]:
    files = sorted(DOMAIN.glob("**/*.py"))
    assert files, "no domain modules found"
    return files


def test_domain_imports_only_stdlib_and_itself() -> None:
    offenders = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in STDLIB and not name.startswith("certexam.domain") and top != "__future__":
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_domain_never_reads_the_clock() -> None:
    offenders = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
                if (owner_name, node.func.attr) in CLOCK_CALLS:
                    offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
