"""Parsed item versions, cached per process and addressed by their content hash.

Item versions never change once written, and each carries the SHA-256 of its
canonical JSON, so a cache keyed by that hash can never serve a stale item, nor
one from another database served by the same process. It is a cache, not state:
any worker rebuilds it from the database. Exam start used to parse the JSON of
every approved item of a paper's modules (about 100 parses, most of a start's
CPU); now each version is parsed once per process (issue 4, benchmark cause 1).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Generic, NamedTuple, TypeVar

from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from certexam import db
from certexam.domain import item_codec
from certexam.domain.assembly import PoolItem
from certexam.domain.items import Item
from certexam.models import BankItem, BankItemVersion

CHUNK = 2_000
# What each warmed worker logs (certexam.wsgi); the exam-day benchmark waits for it.
READY_MARK = "item versions parsed, ready"
MAX_ENTRIES = 20_000  # a whole bank of both levels with room to spare (a parsed item is a few KB)

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """A thread-safe map that forgets its least recently stored entries beyond `size`."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        with self._lock:
            return self._data.get(key)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def keys(self) -> set[K]:
        with self._lock:
            return set(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_cache: BoundedCache[str, Item] = BoundedCache(MAX_ENTRIES)


def clear() -> None:
    """Forget everything (tests; never needed for correctness)."""
    _cache.clear()
    _drawables.clear()


def _items(sess: Session | Connection, hashes: dict[int, str]) -> dict[int, Item]:
    """version id -> parsed item, given each version's content hash; parses only what is new."""
    out: dict[int, Item] = {}
    missing: list[int] = []
    for version_id, digest in hashes.items():
        item = _cache.get(digest)
        if item is None:
            missing.append(version_id)
        else:
            out[version_id] = item
    for lo in range(0, len(missing), CHUNK):  # chunks: a whole bank is more ids than SQLite binds at once
        for version_id, digest, content in sess.execute(
                select(BankItemVersion.id, BankItemVersion.content_hash, BankItemVersion.content)
                .where(BankItemVersion.id.in_(missing[lo:lo + CHUNK]))):
            item = item_codec.from_json(content)
            _cache.put(digest, item)
            out[version_id] = item
    return out


def warm(app: Flask) -> int:
    """Parse every approved version into the cache; returns how many it holds. Never fatal: a
    database that is not migrated yet (or not reachable) only means the cache fills on demand."""
    try:
        with app.app_context():
            sess = db.session()
            hashes = {v: h for v, h in sess.execute(
                select(BankItemVersion.id, BankItemVersion.content_hash)
                .join(BankItem, BankItem.approved_version_id == BankItemVersion.id))}
            return len(_items(sess, hashes))
    except SQLAlchemyError as exc:
        app.logger.warning("item cache not warmed: %s", exc)
        return 0


def items_by_version(sess: Session, version_ids: Iterable[int]) -> dict[int, Item]:
    """The parsed items of the given versions (ids that do not exist are left out)."""
    return {v: item for v, (_digest, item) in items_with_hash(sess, version_ids).items()}


def items_with_hash(sess: Session | Connection, version_ids: Iterable[int]) -> dict[int, tuple[str, Item]]:
    """version id -> (content hash, parsed item): the hash keys caches derived from the item."""
    ids = sorted(set(version_ids))
    hashes = {v: h for v, h in sess.execute(select(BankItemVersion.id, BankItemVersion.content_hash)
                                             .where(BankItemVersion.id.in_(ids)))}
    return {v: (hashes[v], item) for v, item in _items(sess, hashes).items()}


class Drawable(NamedTuple):
    """What a form is drawn from: the assembly inputs, and per version its bank item id, its parsed
    item and its content hash. Shared between starts (cached): read it, never change it."""

    pool: tuple[PoolItem, ...]
    item_of: Mapping[int, int]
    items: Mapping[int, Item]
    hash_of: Mapping[int, str]


# Keyed by the (version, hash, bank item, statistics) rows it was built from, so a change to the bank (another
# approved version) is another key; a handful of papers' module sets at a time.
_Row = tuple[int, str, int, float | None, int | None]  # version, content hash, bank item, facility, n
_drawables: BoundedCache[tuple[_Row, ...], Drawable] = BoundedCache(64)


def _points(item: Item) -> int:
    """An item's maximum, as scoring counts it (results/scoring_input.py): an item set's children each."""
    if item.children:
        return sum(c.max_points or 1 for c in item.children)
    return item.max_points or 1


def drawable(sess: Session, modules: set[str]) -> Drawable:
    """Approved versions of the given modules, as `Drawable`.

    The query runs on every start (the bank may change between two); what is built from its rows
    is reused while they stay the same. Building it (about 100 pool entries, each item's option
    keys) was a sixth of a start's CPU in the start minute (profiled, issue 4).
    """
    # The difficulty statistics are in the key (issue 21): new statistics build a new pool.
    rows: tuple[_Row, ...] = tuple((v, h, i, f, n) for v, h, i, f, n in sess.execute(
        select(BankItemVersion.id, BankItemVersion.content_hash, BankItemVersion.item_id,
               BankItemVersion.facility, BankItemVersion.facility_n)
        .join(BankItem, BankItem.approved_version_id == BankItemVersion.id)
        .where(BankItem.module.in_(sorted(modules))).order_by(BankItemVersion.id)))
    found = _drawables.get(rows)
    if found is None:
        items = _items(sess, {version_id: digest for version_id, digest, *_ in rows})
        stats = {version_id: (facility, n or 0) for version_id, _, _, facility, n in rows}
        pool = tuple(PoolItem(version_id, item.id, item.module, item.type, item.subtype, item.option_keys(),
                              tuple(c.option_keys() for c in item.children), frozenset(item.enemies),
                              *stats[version_id], _points(item))
                     for version_id, item in sorted(items.items()))
        found = Drawable(pool, MappingProxyType({v: item_id for v, _, item_id, *_ in rows}),
                         MappingProxyType(items), MappingProxyType({v: digest for v, digest, *_ in rows}))
        _drawables.put(rows, found)
    return found


def pool(sess: Session, modules: set[str]) -> tuple[PoolItem, ...]:
    """Approved versions of the given modules as assembly inputs."""
    return drawable(sess, modules).pool
