"""`certexam worker`: the background worker (closes attempts at their deadline, ends notices, mail, PDFs)."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--workers", "-w", default=3, show_default=True, type=click.IntRange(1, 32),
              help="Threads running tasks (the clock's tick always goes first).")
@click.option("--verbose", "-v", is_flag=True, help="Log every task Huey runs (the tick runs every second).")
@with_appcontext
def worker_command(workers: int, verbose: bool) -> None:
    """Run the background worker until Ctrl-C (see docs/deploy.md for production)."""
    from certexam.services.platform import worker

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if not verbose:  # Huey says "Executing ... tick" at INFO twice a second; what the tick did is logged below
        logging.getLogger("huey").setLevel(logging.WARNING)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(f"certexam worker: queue {app.config.get('WORKER_BACKEND') or 'sqlite (instance folder)'}, "
               f"{workers} thread(s)")
    worker.run(app, workers)
