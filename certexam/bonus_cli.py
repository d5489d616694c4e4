"""`certexam bonus ...`."""

from __future__ import annotations

import click


@click.group("bonus")
def bonus_group() -> None:
    """The RMB 10,000 holder bonus: social-insurance imports, payouts."""
