"""A private PostgreSQL restarted, and stopped then started, during an exam's autosaves: every
failure the clients see is a 503 with Retry-After (which the docs tell API clients to retry), never
a 500, and every acknowledged answer is stored (issue 19.7).

The probe counted 59 of 65 failures as 500 on a fast restart and 146 of 150 on an immediate stop.
The cluster is the test's own (its data folder and port, made with initdb and pg_ctl: the
`private_postgres` fixture), so the shared server other tests use is never touched. The counts are
printed for CI's log.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import pytest

from benchmarks.exam_day_load import Recorder
from tests.reliability.conftest import assert_whole

CANDIDATES = 20


def _failures(rec: Recorder) -> Counter[int]:
    found: Counter[int] = Counter()
    for (_endpoint, status), n in rec.statuses.items():
        if status == 0 or status >= 500:
            found[status] += n
    return found


def _run(request: Any, make_site: Any, label: str, outage: Any) -> None:
    cluster = request.getfixturevalue("private_postgres")
    site = make_site("postgres", CANDIDATES, pg_port=cluster.port, shared_template=False)
    server = site.serve()
    took: list[float] = []

    async def during(t0: float) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, t0 + 6.0 - loop.time()))  # mid-exam: answers are being saved
        began = time.monotonic()
        await asyncio.to_thread(outage, cluster)
        took.append(time.monotonic() - began)

    rec = site.run_day([server.port], during=during)
    verdict = site.verify(rec, f"{label} ({took[0] if took else '?'} s)")
    failures = _failures(rec)
    answered = sum(rec.statuses.values())
    print(f"[{label}] requests={answered} failures by status={dict(failures)} "
          f"acknowledged={verdict.acknowledged} stored={verdict.stored} lost={len(verdict.lost)}")
    assert took, "the outage did not run"
    assert sum(failures.values()) > 0, "the outage was not felt: nothing was tested"
    if set(failures) != {503}:  # show what the server logged for the others
        log = server.log_path.read_text(errors="replace")
        at = log.find("unhandled error")
        print(log[at - 200:at + 6000] if at >= 0 else log[-4000:])
    assert set(failures) == {503}, f"failures other than 503: {dict(failures)}"
    assert_whole(verdict, rec, CANDIDATES)


def _fast_restart(cluster: Any) -> None:
    cluster.restart()


def _stop_then_start(cluster: Any) -> None:
    cluster.stop()  # immediate: every session is cut, and new ones are refused while it is down
    time.sleep(2.0)
    cluster.start()


@pytest.mark.postgres
@pytest.mark.slow
def test_a_fast_restart_answers_503_only(request: Any, make_site: Any) -> None:
    _run(request, make_site, "PostgreSQL fast restart", _fast_restart)


@pytest.mark.postgres
@pytest.mark.slow
def test_an_immediate_stop_answers_503_only(request: Any, make_site: Any) -> None:
    _run(request, make_site, "PostgreSQL immediate stop, 2 s down", _stop_then_start)
