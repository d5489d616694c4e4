"""The production entry point: certexam.wsgi builds the app from the environment and warms the item cache."""

from __future__ import annotations

import gc
import importlib
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from certexam import db, migrate
from certexam.models import BankItem, BankItemVersion
from certexam.services.bank import item_cache
from tests.conftest import make_app
from tests.exam_setup import load_bank


def _load_wsgi(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CERTEXAM_DATABASE_URL", url)
    monkeypatch.setenv("CERTEXAM_INSTANCE_PATH", str(tmp_path / "wsgi-instance"))
    monkeypatch.setenv("CERTEXAM_SECRET_KEY", "wsgi-test")
    monkeypatch.delitem(sys.modules, "certexam.wsgi", raising=False)
    return importlib.import_module("certexam.wsgi")


def test_workers_start_with_every_approved_item_parsed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.sqlite3'}"
    app = make_app(tmp_path, url)
    load_bank(app)
    with app.app_context():
        approved = set(db.session().scalars(select(BankItemVersion.content_hash)
                                            .join(BankItem, BankItem.approved_version_id == BankItemVersion.id)))
    app.extensions["certexam.engine"].dispose()
    assert len(approved) > 50
    item_cache.clear()
    gc.unfreeze()
    module = _load_wsgi(monkeypatch, tmp_path, url)
    try:
        assert module.app.config["DATABASE_URL"] == url
        assert approved <= item_cache._cache.keys()  # noqa: SLF001 - what the warm-up left behind
        # the parsed bank is out of the collector's view: a full collection no longer walks it
        sample = next(iter(item_cache._cache._data.values()))  # noqa: SLF001
        assert gc.get_freeze_count() > 0 and gc.is_tracked(sample)
        assert not any(o is sample for o in gc.get_objects())  # in the permanent generation, never scanned
        gc.unfreeze()
        assert any(o is sample for o in gc.get_objects())  # the check above can fail
    finally:
        gc.unfreeze()
        module.app.extensions["certexam.engine"].dispose()


def test_a_database_not_migrated_yet_still_starts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    item_cache.clear()
    module = _load_wsgi(monkeypatch, tmp_path, url)
    try:
        assert module.app is not None and not item_cache._cache.keys()  # noqa: SLF001
        migrate.upgrade(url)  # once migrated, the same app serves (the cache fills on demand)
        assert module.app.test_client().get("/api/v1/openapi.json").status_code == 200
    finally:
        module.app.extensions["certexam.engine"].dispose()
