"""The entry point for production WSGI servers: ``gunicorn 'certexam.wsgi:app'``.

Configuration comes from the instance folder and CERTEXAM_* variables, as for
``create_app()``. Each worker also parses the bank's approved items into its
item cache before it serves anything, so the first candidates of an exam day do
not wait for it (issue 4: the start minute, when every candidate opens a paper).
What is alive then lives as long as the worker, so it is frozen out of the
garbage collector's view: a full collection over the parsed bank paused every
thread of the worker for about 110 ms (measured), a spike in any request's
latency that decided whether an exam day's p99 stayed under 200 ms.
"""

from __future__ import annotations

import gc
import os
import sys

from certexam import create_app
from certexam.services.bank import item_cache

app = create_app()
# One line per worker in the server's log: operators (and the exam-day benchmark) can wait for it.
_parsed = item_cache.warm(app)
gc.collect()  # nothing of the boot's garbage is kept
gc.freeze()  # the app and the parsed bank: never scanned again (new objects are collected as usual)
print(f"certexam worker {os.getpid()}: {_parsed} {item_cache.READY_MARK}", file=sys.stderr, flush=True)
