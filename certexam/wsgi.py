"""The entry point for production WSGI servers: ``gunicorn 'certexam.wsgi:app'``.

Configuration comes from the instance folder and CERTEXAM_* variables, as for
``create_app()``. Each worker also parses the bank's approved items into its
item cache before it serves anything, so the first candidates of an exam day do
not wait for it (issue 4: the start minute, when every candidate opens a paper).
"""

from __future__ import annotations

import os
import sys

from certexam import create_app
from certexam.services import item_cache

app = create_app()
# One line per worker in the server's log: operators (and the exam-day benchmark) can wait for it.
print(f"certexam worker {os.getpid()}: {item_cache.warm(app)} {item_cache.READY_MARK}", file=sys.stderr, flush=True)
