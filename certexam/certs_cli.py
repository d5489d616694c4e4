"""`certexam keys ...` and `certexam certs ...`."""

from __future__ import annotations

import click


@click.group("keys")
def keys_group() -> None:
    """Manage the body's signing keys (in the instance folder)."""


@click.group("certs")
def certs_group() -> None:
    """Issue, list, render and verify certificates."""
