"""Rate limits count right across gunicorn workers (issue 19.3).

The probe sent 60 parallel sign-ins to two workers with in-memory counters and got 33 through a
limit of 20 a minute: each worker counted alone. The embedded default now counts in the database.
Here 60 parallel verifications (the limit is set to 20 a minute in the instance's config.py) go to
two workers: exactly 20 pass.
"""

from __future__ import annotations

import secrets
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.exam_day_setup import Server, ServerSettings
from certexam import migrate

LIMIT = 20


def _get(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/verify", timeout=30) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_sixty_parallel_requests_to_two_workers_get_exactly_the_limit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'limits.sqlite3'}"
    migrate.upgrade(url)
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(f'CERT_VERIFY_RATE_LIMIT = "{LIMIT}/minute"\n')
    server = Server("certexam.wsgi:app", url, instance, ServerSettings(workers=2, threads=4), secrets.token_hex(16))
    try:
        server.wait_ready(path="/api/v1/openapi.json")
        with ThreadPoolExecutor(max_workers=30) as pool:
            codes = Counter(pool.map(lambda _: _get(server.port), range(60)))
    finally:
        server.stop()
    print(f"60 parallel verifications, 2 workers, limit {LIMIT}/minute: {dict(codes)}")
    assert codes == Counter({200: LIMIT, 429: 60 - LIMIT})
