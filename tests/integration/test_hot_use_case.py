"""db.hot_use_case: the autosave's transaction on a Core connection of its own (issue 4).

It commits what its function wrote or rolls all of it back; a read it triggers
through the ORM (the user loaded to translate an error message) does not wait
for the write lock its own request holds; an ORM use case inside it is refused.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select, update

from certexam import db
from certexam.models import User
from tests.conftest import make_app
from tests.factories import candidate

_U = User.__table__


@pytest.fixture
def app(tmp_path, any_db_url: str) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    application = make_app(tmp_path, any_db_url)
    yield application
    application.extensions["certexam.engine"].dispose()


def _rename(user_id: int, name: str) -> None:
    db.connection().execute(update(_U).where(_U.c.id == user_id).values(name_en=name))


@db.hot_use_case
def _rename_then(user_id: int, name: str, fail: bool) -> str:
    _rename(user_id, name)
    if fail:
        raise ValueError("after the write")
    return name


def _name(app: Flask, user_id: int) -> str:
    with app.app_context():
        return db.session().scalars(select(User.name_en).where(User.id == user_id)).one()


def test_a_hot_use_case_commits_its_writes_or_none(app: Flask) -> None:
    user = candidate(app)
    with app.test_request_context():
        assert _rename_then(user.id, "Kept", False) == "Kept"
    assert _name(app, user.id) == "Kept"
    with app.test_request_context(), pytest.raises(ValueError):
        _rename_then(user.id, "Lost", True)
    assert _name(app, user.id) == "Kept"


def test_a_read_inside_does_not_wait_for_its_own_write_lock(app: Flask) -> None:
    user = candidate(app)

    @db.hot_use_case
    def write_then_read() -> tuple[str, str]:
        _rename(user.id, "Written")
        # the ORM reads on another connection: what is committed, without taking the write lock
        loaded = db.session().get(User, user.id)
        assert loaded is not None
        inside = db.connection().execute(select(_U.c.name_en).where(_U.c.id == user.id)).scalar_one()
        return loaded.name_en, inside

    with app.test_request_context():
        assert write_then_read() == ("Zhang San", "Written")
    assert _name(app, user.id) == "Written"


def test_an_orm_use_case_inside_a_hot_one_is_refused_and_nothing_is_written(app: Flask) -> None:
    user = candidate(app)

    @db.use_case
    def orm_rename() -> None:
        db.session().get(User, user.id).name_en = "ORM"  # type: ignore[union-attr]

    @db.hot_use_case
    def both() -> None:
        _rename(user.id, "Core")
        orm_rename()

    with app.test_request_context(), pytest.raises(RuntimeError, match="inside a hot use case"):
        both()
    assert _name(app, user.id) == "Zhang San"


def test_a_hot_use_case_inside_an_orm_one_joins_its_transaction(app: Flask) -> None:
    user = candidate(app)

    @db.use_case
    def outer() -> None:
        db.session().get(User, user.id)  # the session's transaction has begun (SQLite: the write lock)
        _rename_then(user.id, "Joined", False)
        raise ValueError("the outer use case fails after the inner one returned")

    with app.test_request_context(), pytest.raises(ValueError):
        outer()
    assert _name(app, user.id) == "Zhang San"  # rolled back with the outer transaction
