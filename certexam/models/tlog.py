"""The issuance transparency log (issue 20.5): its leaves, the hashes of its perfect subtrees, its
head and its signed checkpoints. Append-only: nothing here is ever updated except the head."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from certexam.db import Base


class TlogLeaf(Base):
    """One event, as the canonical JSON the leaf hash covers (domain/tlog.py)."""

    __tablename__ = "tlog_leaf"

    index: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 0, 1, 2 ... with no gaps
    kind: Mapped[str] = mapped_column(String(16), index=True)  # certificate | key | audit
    number: Mapped[str | None] = mapped_column(String(40), index=True)  # the certificate's, for its proof
    data: Mapped[str] = mapped_column(Text)  # the leaf's bytes, UTF-8
    hash: Mapped[str] = mapped_column(String(64))  # hex SHA-256(0x00 || data)
    logged_at: Mapped[datetime]


class TlogNode(Base):
    """The hash of the perfect subtree of leaves [index * 2**level, (index + 1) * 2**level)."""

    __tablename__ = "tlog_node"

    level: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))


class TlogHead(Base):
    """One row: the tree's size. Appending locks it, so concurrent appends take turns."""

    __tablename__ = "tlog_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(default=0)


class TlogCheckpoint(Base):
    """A signed checkpoint (C2SP tlog-checkpoint as a signed note), one per tree size published."""

    __tablename__ = "tlog_checkpoint"

    size: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    root: Mapped[str] = mapped_column(String(64))  # hex
    note: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime]
