"""`certexam push-server`: the exam page's push channel in one asyncio process (issue 18)."""

from __future__ import annotations

import gc

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("push-server")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Threads for the database reads and the answers Flask gives (waiting polls use none).")
@with_appcontext
def push_server_command(host: str, port: int, threads: int) -> None:
    """Serve GET /api/v1/attempts/<id>/push only, for thousands of waiting candidates (docs/deploy.md)."""
    from certexam.api.push_server import PushServer

    # The app is the one certexam.wsgi builds (create_app(): instance folder, CERTEXAM_* variables).
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    server = PushServer(app, threads, host, port)
    gc.collect()
    gc.freeze()  # as certexam.wsgi does: what is alive now lives as long as the process
    server.run()
