"""Question-bank use cases on SQLite and PostgreSQL: import all-or-nothing, versions, workflow, round trips, CLI.

The generated-bank helpers at the top are also used by the page tests, the browser test and
benchmarks/bench_bank_import.py.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from certexam import db
from certexam.bankio import reader
from certexam.domain import item_codec
from certexam.domain.bank_workflow import Action, VersionStatus
from certexam.domain.catalogue import MODULES
from certexam.domain.items import CHOICE_TYPES, ITEM_TYPES, Item, Option, Text
from certexam.errors import UserError
from certexam.models import AuditEntry, BankItem, BankItemVersion, Role, User
from certexam.services.bank import items as bank
from tests.conftest import make_app
from tests.factories import staff

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(glob.glob(str(ROOT / "question_bank" / "level*" / "*.yaml")))
LANGS = ("zh_Hans", "en")
SEARCH_WORD = ("区块链", "ledger")  # in every tenth generated item, for the full-text filter

# ---- generated banks ---------------------------------------------------------------------------------------


def _t(zh: str, en: str, langs: Sequence[str]) -> Text:
    return Text({k: v.strip() for k, v in (("zh_Hans", zh), ("en", en)) if k in langs})


def gen_item(n: int, *, module: str | None = None, item_type: str | None = None, langs: Sequence[str] = LANGS,
             enemy: str | None = None) -> Item:
    """Item number `n` of a generated bank: deterministic, valid, every type and module in turn."""
    module = module or MODULES[n % len(MODULES)].code
    item_type = item_type or ITEM_TYPES[n % len(ITEM_TYPES)]
    item_id = f"{module}-G{n:05d}"
    word = SEARCH_WORD if n % 10 == 0 else ("", "")
    stem = _t(f"第{n}题：关于{module}的陈述{word[0]}。\n第二行", f"Item {n} about {module} {word[1]}.\nSecond line", langs)
    if n % 3 == 0:
        stem = _t(f"第{n}题<strong>加粗</strong>{word[0]}", f"Item {n} with <strong>bold</strong> {word[1]}", langs)

    def options() -> tuple[Option, ...]:
        return tuple(Option(k, _t(f"选项{k}{n}", f"Option {k} {n}", langs)) for k in "ABCD")

    explanation = _t(f"解析{n}", f"Because {n}", langs)
    extra: dict[str, Any] = {"difficulty": n % 5 + 1, "tags": (f"t{n % 4}",), "enemies": (enemy,) if enemy else ()}
    if item_type == "single_choice":
        return Item(item_id, module, item_type, stem, options(), "ABCD"[n % 4], explanation, **extra)
    if item_type == "multiple_response":
        return Item(item_id, module, item_type, stem, options(), ("A", "C"), explanation,
                    scoring=("all_or_nothing", "partial")[n % 2], **extra)
    if item_type == "true_false":
        return Item(item_id, module, item_type, stem, (), n % 2 == 0, explanation, **extra)
    if item_type == "item_set":
        kids = tuple(gen_item(n * 10 + k, module=module, item_type=CHOICE_TYPES[k % 3], langs=langs)
                     for k in range(1, 3))
        kids = tuple(replace(k, id=f"{item_id}-{i}", difficulty=None, tags=(), enemies=()) for i, k in enumerate(kids, 1))
        return Item(item_id, module, item_type, stem, case=_t(f"案例{n}", f"Case {n}", langs), children=kids, **extra)
    return Item(item_id, module, "constructed", stem, subtype=("short_answer", "skill", "proposal")[n % 3],
                max_points=n % 20 + 1, rubric=_t(f"评分{n}", f"Marking {n}", langs), **extra)


def gen_bank(count: int, start: int = 0, langs: Sequence[str] = LANGS) -> list[Item]:
    """`count` items; every seventh names an earlier choice item as an enemy.

    Enemies point at choice items only: CSV and Moodle exports leave some types out, and an
    exported item naming a left-out one could not be imported into an empty bank.
    """
    items: list[Item] = []
    for n in range(start, start + count):
        earlier = [i.id for i in items if i.type in CHOICE_TYPES]
        items.append(gen_item(n, langs=langs, enemy=earlier[-1] if n % 7 == 0 and earlier else None))
    return items


def yaml_files(items: Sequence[Item]) -> list[tuple[str, bytes]]:
    return list(reader.export_files(items, "yaml").items())


def with_error(items: Sequence[Item], name: str = "broken.yaml") -> tuple[str, bytes]:
    """A one-item YAML file whose answer names no option (line known)."""
    text = reader.export([items[0]], "yaml").decode()
    return name, text.replace("answer: ", "answer: Z  # ", 1).encode()


def actor(user_id: int) -> User:
    found = db.session().get(User, user_id)
    assert found is not None
    return found


def counts() -> tuple[int, int]:
    sess = db.session()
    return (sess.scalar(select(func.count()).select_from(BankItem)) or 0,
            sess.scalar(select(func.count()).select_from(BankItemVersion)) or 0)


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages are matched in English; outside a request the app speaks the shell's language."""
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)


@pytest.fixture
def bank_app(tmp_path: Path, any_db_url: str) -> Iterator[Flask]:
    app = make_app(tmp_path, any_db_url)
    yield app
    app.extensions["certexam.engine"].dispose()


def stored_items(app: Flask) -> dict[str, dict[str, Any]]:
    with app.app_context():
        sess = db.session()
        return {i.id: item_codec.to_dict(i) for i in bank.version_items(sess, bank.latest_versions(sess))}


# ---- import ----------------------------------------------------------------------------------------------------


def test_a_batch_with_one_bad_file_writes_nothing(bank_app: Flask) -> None:
    items = gen_bank(30)
    with bank_app.app_context():
        before = counts()
        broken = gen_bank(1, start=500)
        result = bank.validate([*yaml_files(items), with_error(broken)])
        assert result.items == () and len(result.errors) == 1
        error = result.errors[0]
        assert error.file == "broken.yaml" and error.item_id == broken[0].id and error.line and error.line > 3
        assert "'Z'" in error.message
        assert counts() == before == (0, 0)


def test_reimport_changes_and_immutable_versions(bank_app: Flask) -> None:
    items = gen_bank(25)
    with bank_app.app_context():
        # The CLI passes every path as the source; audit_entry.object_id holds 64 characters (PostgreSQL enforces it).
        source = ",".join(f"/some/long/folder/question_bank/level1/L1-X{i}.yaml" for i in range(20))
        first = bank.import_items(bank.validate(yaml_files(items)).items, None, source=source)
        assert (first.created, first.updated, first.unchanged) == (25, 0, 0)
        assert counts() == (25, 25)
        again = bank.import_items(bank.validate(yaml_files(items)).items, None)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 25)
        assert counts() == (25, 25)
        target = items[4]
        old = db.session().scalar(select(BankItemVersion).join(BankItem, BankItem.id == BankItemVersion.item_id)
                                  .where(BankItem.external_id == target.id))
        assert old is not None
        old_id, old_content, old_hash = old.id, old.content, old.content_hash
        changed = [*items[:4], replace(target, stem=Text({"zh_Hans": "新题干", "en": "New stem"}))]
        third = bank.import_items(bank.validate(yaml_files(changed)).items, None)
        assert (third.created, third.updated, third.unchanged) == (0, 1, 4)
        assert counts() == (25, 26)
        db.session().expire_all()
        row = db.session().get(BankItemVersion, old_id)
        assert row is not None and (row.content, row.content_hash, row.version_no) == (old_content, old_hash, 1)
        bank_item = db.session().scalar(select(BankItem).where(BankItem.external_id == target.id))
        assert bank_item is not None and bank_item.latest_version_no == 2
        assert "new stem" in bank_item.search_text and bank_item.languages == ",zh_Hans,en,"
        audit = db.session().scalars(select(AuditEntry).where(AuditEntry.action == "bank.import")
                                     .order_by(AuditEntry.seq)).all()
        assert len(audit) == 3 and len(audit[0].object_id or "") == 64 and source in (audit[0].after or "")


# ---- the review workflow ------------------------------------------------------------------------------------


def _yaml(item: Item) -> str:
    return bank.yaml_of(item)


def test_workflow_four_eyes_supersede_retire(bank_app: Flask) -> None:
    author_id = staff(bank_app, Role.ADMIN).id
    reviewer_id = staff(bank_app, Role.ADMIN).id
    item = gen_item(1, module="L1-ETH", item_type="single_choice")
    with bank_app.app_context():
        v1 = bank.save_edit(actor(author_id), None, _yaml(item))
        assert (v1.version_no, v1.status, v1.created_by_id) == (1, VersionStatus.DRAFT, author_id)
        with pytest.raises(UserError, match="no new version"):
            bank.save_edit(actor(author_id), item.id, _yaml(item))
        with pytest.raises(UserError):  # a draft cannot be approved before it is submitted
            bank.transition(actor(reviewer_id), v1.id, Action.APPROVE)
        bank.transition(actor(author_id), v1.id, Action.SUBMIT)
        assert [v.id for v in bank.review_queue(actor(author_id))] == []
        assert [v.id for v in bank.review_queue(actor(reviewer_id))] == [v1.id]
        with pytest.raises(UserError, match="own edit"):
            bank.transition(actor(author_id), v1.id, Action.APPROVE)
        approved = bank.transition(actor(reviewer_id), v1.id, Action.APPROVE)
        assert approved.status == VersionStatus.APPROVED and approved.reviewed_by_id == reviewer_id
        assert approved.reviewed_at is not None and approved.submitted_at is not None

        changed = replace(item, difficulty=5)
        v2 = bank.save_edit(actor(author_id), item.id, _yaml(changed))
        bank_item = db.session().scalar(select(BankItem).where(BankItem.external_id == item.id))
        assert bank_item is not None
        assert (bank_item.status, bank_item.approved_version_id) == (VersionStatus.DRAFT, v1.id)
        with pytest.raises(UserError, match="newest"):  # v1 is no longer the newest: it cannot move on
            bank.transition(actor(author_id), v1.id, Action.SUBMIT)
        bank.transition(actor(author_id), v2.id, Action.SUBMIT)
        returned = bank.transition(actor(reviewer_id), v2.id, Action.RETURN, "Explain option C.")
        assert (returned.status, returned.note) == (VersionStatus.DRAFT, "Explain option C.")
        bank.transition(actor(author_id), v2.id, Action.SUBMIT)
        bank.transition(actor(reviewer_id), v2.id, Action.APPROVE)
        db.session().expire_all()
        v1_row, v2_row = db.session().get(BankItemVersion, v1.id), db.session().get(BankItemVersion, v2.id)
        assert v1_row is not None and v2_row is not None
        assert (v1_row.status, v2_row.status) == (VersionStatus.SUPERSEDED, VersionStatus.APPROVED)
        bank_item = db.session().scalar(select(BankItem).where(BankItem.external_id == item.id))
        assert bank_item is not None and bank_item.approved_version_id == v2.id

        retired = bank.transition(actor(reviewer_id), v2.id, Action.RETIRE)
        assert retired.status == VersionStatus.RETIRED and retired.retired_by_id == reviewer_id
        db.session().expire_all()
        bank_item = db.session().scalar(select(BankItem).where(BankItem.external_id == item.id))
        assert bank_item is not None
        assert (bank_item.status, bank_item.approved_version_id) == (VersionStatus.RETIRED, None)
        actions = db.session().scalars(select(AuditEntry.action).where(AuditEntry.object_id == item.id)).all()
        assert actions.count("bank.approve") == 2 and "bank.retire" in actions and "bank.return" in actions


def test_editor_refuses_id_change_and_duplicates(bank_app: Flask) -> None:
    admin_id = staff(bank_app, Role.ADMIN).id
    item = gen_item(2, item_type="true_false")
    with bank_app.app_context():
        bank.save_edit(actor(admin_id), None, _yaml(item))
        with pytest.raises(UserError, match="already exists"):
            bank.save_edit(actor(admin_id), None, _yaml(replace(item, difficulty=1)))
        with pytest.raises(UserError, match="cannot be changed"):
            bank.save_edit(actor(admin_id), item.id, _yaml(replace(item, id="L1-ETH-9999")))
        with pytest.raises(bank.BankEditError) as caught:
            bank.save_edit(actor(admin_id), item.id, _yaml(item).replace("answer: true", "answer: maybe"))
        assert caught.value.result.errors[0].line is not None
        assert counts() == (1, 1)


# ---- round trips ----------------------------------------------------------------------------------------------


def _import_all(app: Flask, sources: Sequence[Any]) -> None:
    with app.app_context():
        result = bank.validate(sources)
        assert result.errors == (), result.errors[:5]
        bank.import_items(result.items, None, approve=True)


def _roundtrip(first: Flask, tmp_path: Path, fmt: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Export `first` in `fmt`, import that into a new empty database; return (expected, got)."""
    with first.app_context():
        files, skipped = bank.export(fmt)
    original = stored_items(first)
    expected = {k: v for k, v in original.items() if k not in {i for i, _ in skipped}}
    second = make_app(tmp_path / f"second-{fmt}")
    try:
        _import_all(second, list(files.items()))
        return expected, stored_items(second)
    finally:
        second.extensions["certexam.engine"].dispose()


CARRIED = {"yaml": set(ITEM_TYPES), "csv": set(CHOICE_TYPES), "moodle": set(ITEM_TYPES) - {"item_set"},
           "qti": set(ITEM_TYPES) - {"item_set"}}


def test_generated_bank_round_trips_in_every_format(bank_app: Flask, tmp_path: Path) -> None:
    _import_all(bank_app, yaml_files(gen_bank(40)))
    for fmt, carried in CARRIED.items():
        expected, got = _roundtrip(bank_app, tmp_path, fmt)
        assert {doc["type"] for doc in expected.values()} == carried, fmt  # skipped: exactly what it cannot carry
        assert got == expected, fmt


@pytest.mark.slow
@pytest.mark.skipif(not SHIPPED, reason="no shipped banks")
def test_shipped_banks_round_trip_as_yaml(tmp_path: Path) -> None:
    """The real banks, whole; the other formats are covered by the generated bank above."""
    first = make_app(tmp_path / "first")
    try:
        _import_all(first, SHIPPED)
        expected, got = _roundtrip(first, tmp_path, "yaml")
        assert got == expected and len(got) == len(reader.read_files(SHIPPED).items)
    finally:
        first.extensions["certexam.engine"].dispose()


# ---- the command line ----------------------------------------------------------------------------------------


def _write(folder: Path, files: Sequence[tuple[str, bytes]]) -> list[str]:
    paths = []
    for name, data in files:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths.append(str(path))
    return paths


def test_cli_validate_import_export(bank_app: Flask, tmp_path: Path) -> None:
    runner = bank_app.test_cli_runner()
    good = tmp_path / "good"
    _write(good, yaml_files(gen_bank(20)))
    broken = gen_bank(1, start=700)
    bad = _write(tmp_path / "bad", [with_error(broken, "bad.yaml")])

    ok = runner.invoke(args=["bank", "validate", str(good)])
    assert ok.exit_code == 0 and "20 item(s) valid" in ok.output
    failed = runner.invoke(args=["bank", "validate", str(good), *bad])
    assert failed.exit_code == 1 and "bad.yaml:" in failed.stderr and broken[0].id in failed.stderr
    assert "1 error(s)." in failed.stderr and "imported" not in failed.stderr  # validating never imports

    refused = runner.invoke(args=["bank", "import", str(good), *bad])
    assert refused.exit_code == 1 and "nothing was imported" in refused.stderr
    with bank_app.app_context():
        assert counts() == (0, 0)

    done = runner.invoke(args=["bank", "import", str(good)])
    assert done.exit_code == 0, done.output
    assert "Importing" in done.stderr and "Imported: 20 new, 0 changed, 0 unchanged." in done.stdout
    again = runner.invoke(args=["bank", "import", str(good)])
    assert "0 new, 0 changed, 20 unchanged" in again.stdout

    out = tmp_path / "export"
    exported = runner.invoke(args=["bank", "export", "--format", "yaml", "-o", str(out)])
    assert exported.exit_code == 0, exported.output
    assert reader.read_files(sorted(str(p) for p in out.rglob("*.yaml"))).errors == ()
    csv_out = tmp_path / "bank.csv"
    as_csv = runner.invoke(args=["bank", "export", "--format", "csv", "-o", str(csv_out)])
    assert as_csv.exit_code == 0 and csv_out.read_bytes().startswith(b"\xef\xbb\xbfid,")
    assert "skipped" in as_csv.stderr  # item sets and constructed items cannot travel as CSV


# ---- the per-process cache of parsed versions --------------------------------------------------------------


def test_item_cache_serves_each_version_its_own_content(tmp_path: Path) -> None:
    """The cache is keyed by content hash: a new version, or the same id in another database, is never stale."""
    from certexam.services.bank import item_cache

    one, two = make_app(tmp_path / "a"), make_app(tmp_path / "b")
    items = gen_bank(3)
    changed = [replace(items[0], stem=Text({"zh_Hans": "另一题干", "en": "Another stem"})), *items[1:]]
    try:
        with one.app_context():
            bank.import_items(bank.validate(yaml_files(items)).items, None)
        with two.app_context():  # the same version ids, other content
            bank.import_items(bank.validate(yaml_files(changed)).items, None)
        item_cache.clear()
        with one.app_context():
            first = item_cache.items_by_version(db.session(), [1, 2, 3])
            assert first[1].stem["en"] != "Another stem"
            assert item_cache.items_by_version(db.session(), [1])[1] is first[1]  # parsed once, then shared
        with two.app_context():
            assert item_cache.items_by_version(db.session(), [1])[1].stem["en"] == "Another stem"
            assert item_cache.items_by_version(db.session(), [2])[2] is first[2]  # equal content, equal hash
            bank.import_items(bank.validate(yaml_files(items)).items, None)  # version 2 of item 1
            newest = db.session().scalar(select(func.max(BankItemVersion.id)))
            assert newest is not None and newest > 3
            assert item_cache.items_by_version(db.session(), [newest])[newest].stem["en"] == items[0].stem["en"]
            assert item_cache.items_by_version(db.session(), [999_999]) == {}
    finally:
        for app in (one, two):
            app.extensions["certexam.engine"].dispose()


def test_drawable_is_rebuilt_when_the_approved_versions_change(tmp_path: Path) -> None:
    """What starts draw from is reused only for the same (version, hash, item) rows: another database
    with the same ids but other content, or a newly approved version, is drawn from its own items."""
    from certexam.services.bank import item_cache

    one, two = make_app(tmp_path / "a"), make_app(tmp_path / "b")
    items = gen_bank(3)
    changed = [replace(items[0], stem=Text({"zh_Hans": "另一题干", "en": "Another stem"})), *items[1:]]
    modules = {i.module for i in items}
    try:
        with one.app_context():
            bank.import_items(bank.validate(yaml_files(items)).items, None, approve=True)
        with two.app_context():  # the same version ids, other content
            bank.import_items(bank.validate(yaml_files(changed)).items, None, approve=True)
        item_cache.clear()
        with one.app_context():
            first = item_cache.drawable(db.session(), modules)
            assert item_cache.drawable(db.session(), modules) is first  # same rows: built once
            assert first.items[1].stem["en"] != "Another stem" and set(first.hash_of) == {1, 2, 3}
        with two.app_context():
            other = item_cache.drawable(db.session(), modules)
            assert other is not first and other.items[1].stem["en"] == "Another stem"
            bank.import_items(bank.validate(yaml_files(items)).items, None, approve=True)  # item 1's version 2
            newest = item_cache.drawable(db.session(), modules)
            assert 1 not in newest.items and max(newest.items) > 3
            assert newest.items[max(newest.items)].stem["en"] == items[0].stem["en"]
            assert {p.version_id for p in newest.pool} == set(newest.items) == set(newest.hash_of)
    finally:
        for app in (one, two):
            app.extensions["certexam.engine"].dispose()
