"""Imports run one way: domain <- models <- services <- views and cli, with no cycles (issue 17).

Read from the source with `ast`, so a new module is checked the moment it exists. Only
module-level imports count: an import inside a function runs later, on demand, and is how
the app factory and CLI commands load features without importing everything up front.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "certexam"
BLUEPRINTS = ("admin", "api", "auth", "bank", "bonus", "certificates", "exams", "main", "results", "sittings",
              "statistics", "tlog")


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "migrations" not in p.parts}


def _resolve(target: str) -> str | None:
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def module_imports(name: str) -> set[str]:
    """The certexam modules `name` imports at module level (a `from pkg import sub` names the submodule)."""
    tree = ast.parse(MODULES[name].read_text(), str(MODULES[name]))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for target in targets:
            if target.startswith("certexam"):
                resolved = _resolve(target)
                if resolved and resolved != name:
                    found.add(resolved)
    return found


GRAPH = {name: module_imports(name) for name in MODULES}


def _layer_offenders(layer: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(f"{m} imports {t}" for m, targets in GRAPH.items() if _within(m, (layer,))
                  for t in targets if _within(t, forbidden))


def _within(module: str, packages: tuple[str, ...]) -> bool:
    """True when `module` is one of `packages` or inside one (certexam.bankio is not inside certexam.bank)."""
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_the_graph_sees_every_layer() -> None:
    # a broken walker would find nothing and pass everything below
    assert {"certexam.services.attempts.autosave", "certexam.web", "certexam.cli.bank"} <= set(MODULES)
    assert "certexam.services.platform.audit" in GRAPH["certexam.services.bank.items"]


def test_models_import_no_services_views_or_cli() -> None:
    forbidden = ("certexam.services", "certexam.web", "certexam.cli",
                 *(f"certexam.{bp}" for bp in BLUEPRINTS))
    assert _layer_offenders("certexam.models", forbidden) == []


def test_services_import_no_views_web_or_cli() -> None:
    forbidden = ("certexam.web", "certexam.cli", *(f"certexam.{bp}" for bp in BLUEPRINTS))
    assert _layer_offenders("certexam.services", forbidden) == []


def test_domain_imports_only_the_domain() -> None:
    inside = {m: {t for t in ts if not t.startswith("certexam.domain")}
              for m, ts in GRAPH.items() if m.startswith("certexam.domain")}
    assert {m: ts for m, ts in inside.items() if ts} == {}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root, children_of_root in graph.items():
        if root in index:
            continue
        work = [(root, iter(sorted(children_of_root)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles() -> None:
    # A blueprint's views import `bp` from their own package, whose __init__ imports them after
    # defining it (microblog's pattern): Python resolves a child importing its parent, so that
    # one edge is not a cycle. Any other loop is.
    graph = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in GRAPH.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_service_reads_the_wall_clock_itself() -> None:
    """One clock (services/platform/clock.py): anything else that reads time escapes the CLOCK hook."""
    offenders = []
    for name, path in MODULES.items():
        if not name.startswith(("certexam.services", "certexam.web")) or name.endswith("platform.clock"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
                if (owner_name, node.func.attr) in {("datetime", "now"), ("db", "utcnow"), ("date", "today"),
                                                    ("datetime", "utcnow")}:
                    offenders.append(f"{name}:{node.lineno}")
            elif isinstance(node, ast.Name) and node.id == "utcnow":
                offenders.append(f"{name}:{node.lineno}")
    assert offenders == []
