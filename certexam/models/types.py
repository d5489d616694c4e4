"""Column types shared by the models."""

from __future__ import annotations

import enum

from sqlalchemy import Enum


def str_enum(cls: type[enum.StrEnum], name: str, length: int) -> Enum:
    """A StrEnum stored as its value in a VARCHAR(length) column: no native type and no CHECK
    constraint, so the schema is what the String column before it was and no migration is needed;
    rows load as members of `cls`, which compare equal to their plain values."""
    return Enum(cls, name=name, native_enum=False, create_constraint=False, length=length,
                values_callable=lambda e: [m.value for m in e])
