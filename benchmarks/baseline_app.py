"""Baselines served by gunicorn exactly like the app: a bare Flask endpoint and the bare durable write.

    gunicorn ... 'benchmarks.baseline_app:create_app()'   (CERTEXAM_DATABASE_URL names the database)

/hello is Flask and nothing else. PUT /upsert/<key>/<slot> is the least an
autosave must do to be durable: parse the JSON body, one SQLAlchemy upsert
and one commit on an engine built by certexam.db.make_engine (the same
pragmas, pool and driver as the app), then answer with JSON.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, jsonify, request
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, Text, UniqueConstraint

from certexam import db

metadata = MetaData()
upserts = Table(
    "bench_upsert", metadata,
    Column("id", Integer, primary_key=True),
    Column("attempt_id", Integer, nullable=False),
    Column("slot", String(16), nullable=False),
    Column("answer", Text),
    Column("seq", Integer, nullable=False),
    UniqueConstraint("attempt_id", "slot", name="uq_bench_upsert_slot"),
)


def create_table(url: str) -> None:
    """Made once by the benchmark before gunicorn starts (workers must not race to create it)."""
    engine = db.make_engine(url)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()


def _upsert(engine: Engine) -> Any:
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def create_app() -> Flask:
    app = Flask(__name__)
    engine = db.make_engine(os.environ["CERTEXAM_DATABASE_URL"])
    insert = _upsert(engine)

    @app.get("/hello")
    def hello() -> Any:
        return jsonify({"hello": "world"})

    @app.put("/upsert/<int:key>/<slot>")
    def upsert(key: int, slot: str) -> Any:
        data = request.get_json(silent=True) or {}
        stmt = insert(upserts).values(attempt_id=key, slot=slot[:16], answer=str(data.get("answer")),
                                      seq=int(data.get("seq", 0)))
        stmt = stmt.on_conflict_do_update(index_elements=["attempt_id", "slot"],
                                          set_={"answer": stmt.excluded.answer, "seq": stmt.excluded.seq})
        with engine.begin() as conn:  # one statement, one commit
            conn.execute(stmt)
        return jsonify({"slot": slot, "seq": data.get("seq"), "result": "stored"})

    return app
