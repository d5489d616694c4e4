"""Benchmark: validate + import a generated question bank, and the list page at 10,000 items.

Part 1 generates (deterministically, not timed) a bank of N valid items in every module and type,
each in zh_Hans and en, as YAML module files, then times, through the service layer:
validate (parse + check all files against the bank) and import_items (one transaction), into a
fresh SQLite database and, when a server answers on 127.0.0.1:5432, a fresh PostgreSQL database.

Part 2 (--list-items M) imports M items into a fresh database (each kind), then times the list
page's query (bank.list_items: one page + the total count) for typical filters, and the whole page
through the test client (query + template + session).

    .venv/bin/python benchmarks/bench_bank_import.py [--items 2000] [--list-items 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from certexam.models import Role  # noqa: E402
from certexam.services.bank import items as bank  # noqa: E402
from tests.conftest import PG, _pg_create, _pg_drop, make_app  # noqa: E402
from tests.factories import sign_in, staff  # noqa: E402
from tests.integration.test_bank_service import gen_bank, yaml_files  # noqa: E402

TARGET_SECONDS = 10.0  # the aim for 2,000 items
LIST_QUERIES = {
    "no filter, page 1": ({}, 1),
    "no filter, page 100": ({}, 100),
    "module + status": ({"module": "L1-ETH", "status": "draft"}, 1),
    "missing language pt": ({"missing_lang": "pt"}, 1),
    "full text 'ledger'": ({"q": "ledger"}, 1),
    "full text, no match": ({"q": "no such words"}, 1),
}
PAGE_SIZE = 50  # as the page uses


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def bench_import(url: str | None, count: int, label: str) -> dict[str, Any]:
    items = gen_bank(count)
    files = yaml_files(items)
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp), url)
        try:
            with app.app_context():
                t0 = time.perf_counter()
                result = bank.validate(files)
                t1 = time.perf_counter()
                assert result.errors == (), result.errors[:3]
                report = bank.import_items(result.items, None, source="benchmark")
                t2 = time.perf_counter()
                assert report.created == count
        finally:
            app.extensions["certexam.engine"].dispose()
    total = t2 - t0
    return {"db": label, "items": count, "files": len(files), "validate": t1 - t0, "import": t2 - t1,
            "total": total, "per_s": count / total}


def bench_list(url: str | None, count: int, repeat: int) -> list[tuple[str, float, int | None]]:
    rows: list[tuple[str, float, int | None]] = []
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp), url)
        try:
            with app.app_context():
                for start in range(0, count, 2000):  # in batches, as an administrator would upload
                    batch = gen_bank(min(2000, count - start), start=start)
                    bank.import_items(bank.validate(yaml_files(batch)).items, None)
                for name, (filters, page) in LIST_QUERIES.items():
                    seconds, (_rows, total) = _best(
                        lambda f=filters, p=page: bank.list_items(bank.ListFilters(**f), p, PAGE_SIZE), repeat)
                    rows.append((f"query: {name}", seconds, total))
            admin = staff(app, Role.ADMIN)
            client = app.test_client()
            sign_in(client, admin.email)
            for name, path in [("page: no filter", "/admin/bank/"), ("page: full text", "/admin/bank/?q=ledger"),
                               ("page: page 150", "/admin/bank/?page=150")]:
                seconds, resp = _best(lambda p=path: client.get(p), repeat)
                assert resp.status_code == 200
                rows.append((name, seconds, None))
        finally:
            app.extensions["certexam.engine"].dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--list-items", type=int, default=10000, help="0 skips the list benchmark")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    targets = ["SQLite", "PostgreSQL"] if PG else ["SQLite"]
    print(f"\nvalidate + import of {args.items} items (best of {args.repeat}, each into a fresh database)")
    print("| database | items | files | validate s | import s | total s | items/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label in targets:
        runs = []
        for _ in range(args.repeat):
            pg = _pg_create() if label == "PostgreSQL" else None
            try:
                runs.append(bench_import(pg[1] if pg else None, args.items, label))
            finally:
                if pg:
                    _pg_drop(pg[0])
        best = min(runs, key=lambda r: r["total"])
        print(f"| {label} | {best['items']} | {best['files']} | {best['validate']:.2f} | {best['import']:.2f} "
              f"| {best['total']:.2f} | {best['per_s']:.0f} |")
        verdict = "within" if best["total"] < TARGET_SECONDS else "OVER"
        print(f"  median total {statistics.median(r['total'] for r in runs):.2f} s; "
              f"{verdict} the {TARGET_SECONDS:.0f} s aim")
    if args.list_items:
        for label in targets:
            print(f"\nlist page at {args.list_items} items, {label} (best of {args.repeat})")
            print("| what | ms | matching |")
            print("| --- | ---: | ---: |")
            pg = _pg_create() if label == "PostgreSQL" else None
            try:
                for name, seconds, total in bench_list(pg[1] if pg else None, args.list_items, args.repeat):
                    print(f"| {name} | {seconds * 1000:.1f} | {'—' if total is None else total} |")
            finally:
                if pg:
                    _pg_drop(pg[0])
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
