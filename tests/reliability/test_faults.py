"""Issue 8: faults during a simulated exam under gunicorn lose no acknowledged answer.

Each test runs a short compressed exam day (tests/reliability/conftest.py:
DAY) with clients that retry like the exam page, injects one fault, and then
compares every answer acknowledged with 200 against the database. Each prints
its counts: acknowledged, stored, lost.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from benchmarks.exam_day_http import drop_mid_request
from benchmarks.exam_day_load import (
    Client,
    DayPlan,
    Policy,
    Recorder,
    open_attempt,
    pick_answer,
    save,
    submit,
)
from benchmarks.exam_day_verify import answer_json
from tests.reliability.conftest import DAY, RETRY, SETTINGS, assert_whole, run_async, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reliability")]

CANDIDATES = 20
DBS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("kind", DBS)
def test_kill_9_a_worker_twice_loses_nothing(make_site, kind: str) -> None:  # type: ignore[no-untyped-def]
    site = make_site(kind, CANDIDATES)
    server = site.serve()
    killed: list[int] = []

    async def kill_workers(t0: float) -> None:
        loop = asyncio.get_running_loop()
        for at in (5.0, 10.0):  # mid-answering, while saves are in flight
            await asyncio.sleep(max(0.0, t0 + at - loop.time()))
            victim = server.worker_pids()[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    rec = site.run_day([server.port], during=kill_workers)
    verdict = site.verify(rec, f"kill -9 worker, {kind}")
    assert len(killed) == 2
    wait_for(lambda: len(server.worker_pids()) == SETTINGS.workers, 10, "gunicorn to replace its workers")
    assert not set(killed) & set(server.worker_pids())
    assert_whole(verdict, rec, CANDIDATES)


def _restart_shared_postgres() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    try:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True,
                       timeout=60, capture_output=True)
    finally:
        ready = subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432"], capture_output=True, timeout=10)
        if ready.returncode != 0:  # never leave the shared server down
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], timeout=60)


@pytest.mark.postgres
def test_postgresql_restart_mid_exam_loses_nothing(request, make_site) -> None:  # type: ignore[no-untyped-def]
    """By default a private cluster is restarted: restarting the shared server would break every other
    test using it at that moment (make test runs pytest -n 2). CERTEXAM_FAULT_SHARED_PG=1 restarts
    the machine's cluster with pg_ctlcluster instead (and always leaves it running)."""
    if os.environ.get("CERTEXAM_FAULT_SHARED_PG") == "1":
        if shutil.which("pg_ctlcluster") is None or not Path("/etc/postgresql").is_dir():
            pytest.skip("pg_ctlcluster is not available on this machine")
        site, restart, port = make_site("postgres", CANDIDATES), _restart_shared_postgres, 5432
    else:
        cluster = request.getfixturevalue("private_postgres")
        site = make_site("postgres", CANDIDATES, pg_port=cluster.port, shared_template=False)
        restart, port = cluster.restart, cluster.port
    server = site.serve()
    restarted: list[float] = []

    async def restart_database(t0: float) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, t0 + 6.0 - loop.time()))
        began = time.monotonic()
        await asyncio.to_thread(restart)
        restarted.append(time.monotonic() - began)

    rec = site.run_day([server.port], during=restart_database)
    verdict = site.verify(rec, f"PostgreSQL restart ({restarted[0] if restarted else '?'} s, port {port})")
    ready = subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", str(port)], capture_output=True, timeout=10)
    assert restarted and ready.returncode == 0
    assert_whole(verdict, rec, CANDIDATES)


def test_sqlite_write_lock_held_longer_than_the_client_waits(make_site) -> None:  # type: ignore[no-untyped-def]
    site = make_site("sqlite", CANDIDATES)
    server = site.serve()
    path = site.database.url.removeprefix("sqlite:///")
    held: list[float] = []
    hold_seconds = RETRY.timeout + 1.0  # clients give up on their request and retry while it still waits

    def hold_lock() -> None:
        conn = sqlite3.connect(path, timeout=10, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")  # the write lock every save needs
            began = time.monotonic()
            time.sleep(hold_seconds)
            conn.execute("ROLLBACK")
            held.append(time.monotonic() - began)
        finally:
            conn.close()

    async def lock_database(t0: float) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, t0 + 5.0 - loop.time()))
        await asyncio.to_thread(hold_lock)

    rec = site.run_day([server.port], during=lock_database)
    verdict = site.verify(rec, f"SQLite write lock held {held[0] if held else '?'} s")
    assert held and held[0] >= hold_seconds
    assert rec.statuses.get(("save", 0), 0) > 0  # some saves did time out on the client and were retried
    assert_whole(verdict, rec, CANDIDATES)


@pytest.mark.parametrize("kind", DBS)
def test_dropped_connections_duplicates_and_double_submits_are_harmless(make_site, kind: str) -> None:  # type: ignore[no-untyped-def]
    """Each save is first sent half-way and cut, then sent whole and abandoned, then sent properly;
    two identical saves race; an older save arrives late; two submits race; a save after submit."""
    count, per_candidate = 12, 10
    site = make_site(kind, count)
    server = site.serve()
    rec = Recorder()
    outcome: dict[str, list[object]] = {"races": [], "late": [], "submits": [], "after": []}

    async def candidate(i: int) -> None:
        rng = random.Random(i)
        client = Client(site.candidates[i], [server.port], rec, RETRY)
        opened = await open_attempt(client)
        assert opened is not None, rec.error_samples
        aid, device, seq, slots = opened
        url = f"/api/v1/attempts/{aid}/answers/"
        for slot, item in slots[:per_candidate]:
            seq += 1
            answer = pick_answer(item, rng)
            decoy = next(k for k in (o["key"] for o in item["options"]) if k != answer)
            body = {"seq": seq, "answer": decoy, "flagged": False, "device": device}
            await drop_mid_request(server.port, "PUT", url + slot, body, client.headers, cut="body")
            body["answer"] = answer
            await drop_mid_request(server.port, "PUT", url + slot, body, client.headers, cut="reply")
            await save(client, aid, device, slot, seq, answer, False)
        # two identical saves at once, then a late older one
        slot, item = slots[per_candidate]
        seq += 2
        newer = pick_answer(item, rng)
        races = await asyncio.gather(*(save(client, aid, device, slot, seq, newer, False) for _ in range(2)))
        outcome["races"].append(sorted(r.json()["result"] for r in races))
        late = await save(client, aid, device, slot, seq - 1, pick_answer(item, rng), False)
        outcome["late"].append(late.json()["result"])
        submits = await asyncio.gather(submit(client, aid, device), submit(client, aid, device))
        outcome["submits"].append({(r.status, r.json()["status"], r.json()["submitted_at"]) for r in submits})
        after = await client.call("save", "PUT", url + "1", {"seq": seq + 1, "answer": None, "device": device})
        outcome["after"].append((after.status, after.json().get("code")))
        rec.finished += 1

    async def everyone() -> None:
        async with asyncio.timeout(50):
            await asyncio.gather(*(candidate(i) for i in range(count)))

    run_async(everyone())
    verdict = site.verify(rec, f"dropped connections, duplicates, double submits, {kind}")
    assert_whole(verdict, rec, count)
    assert all(r == ["duplicate", "stored"] for r in outcome["races"]), outcome["races"]
    assert set(outcome["late"]) == {"stale"}
    assert all(len(s) == 1 and next(iter(s))[:2] == (200, "submitted") for s in outcome["submits"])
    assert set(outcome["after"]) == {(409, "closed")}
    # the answer stored for every slot is the acknowledged one, never the half-sent decoy
    final = {(a.attempt_id, a.slot): a.answer for a in rec.acks if a.answer is not None}
    assert verdict.stored == verdict.acknowledged and len(final) == count * (per_candidate + 1)


@pytest.mark.parametrize("kind", DBS)
def test_resent_and_out_of_order_saves_during_a_day(make_site, kind: str) -> None:  # type: ignore[no-untyped-def]
    site = make_site(kind, CANDIDATES)
    server = site.serve()
    plan = DayPlan(**{**DAY.__dict__, "duplicate_share": 0.3, "stale_share": 0.3})
    rec = site.run_day([server.port], plan=plan)
    verdict = site.verify(rec, f"resent and late saves, {kind}")
    assert rec.results["duplicate"] > 0 and rec.results["stale"] > 0
    # A late older save that had replaced a newer answer would show here as that newer answer lost.
    assert_whole(verdict, rec, CANDIDATES)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=[
    pytest.mark.postgres])])
def test_simultaneous_starts_never_answer_500(make_site, kind: str) -> None:  # type: ignore[no-untyped-def]
    count = 40
    site = make_site(kind, count)
    a, b = site.serve(), site.serve()
    rec = Recorder()

    async def everyone() -> None:
        async with asyncio.timeout(50):
            await asyncio.gather(*(open_attempt(Client(c, [a.port, b.port], rec, Policy(timeout=30.0)))
                                   for c in site.candidates))

    run_async(everyone())
    print(f"\n[simultaneous starts, {kind}] statuses={dict(rec.statuses)}")
    assert rec.statuses[("start", 201)] == count, rec.error_samples[:3]


def test_answer_json_matches_the_servers_encoding() -> None:
    # The harness compares its own encoding with the stored column; both must agree for non-ASCII text.
    assert answer_json("考生") == '"考生"' and answer_json(None) is None and answer_json(["A", "C"]) == '["A", "C"]'
