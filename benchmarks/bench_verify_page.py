"""CPU of the public verification page, next to a bare endpoint of the same app (issue 20.8).

Run from a source tree:  .venv/bin/python benchmarks/bench_verify_page.py [--requests 2000] [--rounds 5] [--profile]

The page an employer's phone opens when it scans a certificate's QR code: GET /v/<token> (signature,
register, status, the transparency log's line, the masked holder, the name-check and receipt forms).
This measures its cost to the server process through the whole Flask stack on SQLite (the test
client), as CPU time (time.process_time), next to a bare endpoint of the same app (`/bench/hello`: the
app's before- and after-request hooks and nothing else) measured in the same round, so a noisy machine
does not move the ratio. Requests per second of one worker are about the inverse of the CPU per request,
so the aim "40% of the bare endpoint's rate" is a ratio of at most 2.5. `--profile` prints cProfile's top
functions of the page.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path.cwd()))  # the tree it is run from, not necessarily this file's

from certexam.crypto.keystore import PASSPHRASE_ENV  # noqa: E402
from tests.conftest import make_app  # noqa: E402
from tests.factories import candidate  # noqa: E402

PASSPHRASE = "bench-passphrase-not-a-secret"  # noqa: S105 (a throwaway key store in a temp folder)


def _setup(tmp: Path) -> tuple[Any, str]:
    from certexam.services.certificates import keys
    from tests.integration.test_certificates_service import KEYS_CREATED, issue, make_sitting, record_pass

    os.environ[PASSPHRASE_ENV] = PASSPHRASE
    app = make_app(tmp, RATELIMIT_ENABLED=False)
    app.add_url_rule("/bench/hello", "bench_hello", lambda: "hello")
    with app.app_context():
        keys.init_keys(None, KEYS_CREATED)
    user = candidate(app)
    sitting = make_sitting(app)
    record_pass(app, user.id, sitting)
    cert = issue(app, user, sitting_id=sitting)
    return app, f"/v/{cert.token}"


def _cpu(client: Any, url: str, n: int) -> float:
    """Seconds of process CPU per request."""
    start = time.process_time()
    for _ in range(n):
        r = client.get(url)
        assert r.status_code == 200, r.status_code
    return (time.process_time() - start) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--profile", action="store_true")
    a = ap.parse_args()
    app, url = _setup(Path(tempfile.mkdtemp(prefix="bench-verify-")))
    client = app.test_client()
    for _ in range(50):  # warm caches: templates, keys, the status lists
        client.get(url)
        client.get("/bench/hello")
    if a.profile:
        prof = cProfile.Profile()
        prof.enable()
        _cpu(client, url, 300)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(60)
        return
    pages, bares = [], []
    for _ in range(a.rounds):
        bares.append(_cpu(client, "/bench/hello", a.requests))
        pages.append(_cpu(client, url, a.requests))
    page, bare = statistics.median(pages), statistics.median(bares)
    print(f"verify page: {page * 1e3:.3f} ms CPU per request (median of {a.rounds} rounds of {a.requests})")
    print(f"bare endpoint: {bare * 1e3:.3f} ms CPU per request")
    print(f"ratio page/bare: {page / bare:.2f}  (aim: at most 2.5, i.e. 40% of the bare endpoint's rate)")
    print("per round, page/bare: " + ", ".join(f"{p / b:.2f}" for p, b in zip(pages, bares, strict=True)))


if __name__ == "__main__":
    main()
