"""Fixtures for the fault tests: a seeded exam database, gunicorn servers, a private PostgreSQL.

The harness is the exam-day benchmark's (benchmarks/exam_day_*.py): the same
simulated candidates, the same gunicorn settings, the same check of every
acknowledged answer against the database.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from benchmarks.exam_day_load import DayPlan, Policy, Recorder, exam_day
from benchmarks.exam_day_setup import (
    Candidate,
    Database,
    Server,
    ServerSettings,
    copy_database,
    free_port,
    prepare_template,
    seed_candidates,
)
from benchmarks.exam_day_verify import Verdict, audit_chain_problems, check
from tests.conftest import PG


def run_async(coro: Awaitable[Any]) -> Any:
    """Run a coroutine to completion on a thread of its own.

    A pytest-xdist worker may already run Playwright's event loop (the browser
    tests' session fixture), and asyncio.run() refuses to start inside it.
    """
    import threading

    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = asyncio.run(coro)  # type: ignore[arg-type]
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="reliability-loop")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("result")

# Small and bounded: a CI run must stay well inside a minute per test.
SETTINGS = ServerSettings(workers=2, threads=3, timeout=30)
RETRY = Policy(tries=12, timeout=5.0, backoff=0.2, backoff_max=2.0)  # like the page: back off, try again
DAY = DayPlan(exam_seconds=15, start_window=3, submit_window=3, resync_seconds=3)


@dataclass
class ExamSite:
    """A seeded database and the servers started on it (stopped by the fixture)."""

    database: Database
    candidates: list[Candidate]
    workdir: Path
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    servers: list[Server] = field(default_factory=list)

    def serve(self, port: int | None = None, extra_env: dict[str, str] | None = None) -> Server:
        server = Server("certexam.wsgi:app", self.database.url, self.workdir / f"inst-{len(self.servers)}",
                        SETTINGS, self.secret_key, port=port, extra_env=extra_env)
        self.servers.append(server)
        server.wait_ready()
        return server

    def run_day(self, ports: Sequence[int], plan: DayPlan = DAY, policy: Policy = RETRY,
                during: Callable[[float], Awaitable[None]] | None = None,
                candidates: Sequence[Candidate] | None = None) -> Recorder:
        return run_async(exam_day(candidates or self.candidates, ports, plan, policy, seed=7, during=during))

    def verify(self, rec: Recorder, label: str) -> Verdict:
        verdict = check(self.database.url, rec.acks, rec.submitted, rec.attempts)
        config = {"DATABASE_URL": self.database.url, "INSTANCE_PATH": str(self.workdir / "inst-verify"),
                  "SECRET_KEY": self.secret_key, "MAIL_BACKEND": "memory"}
        verdict.problems.extend(audit_chain_problems(config))
        failed = sum(n for (_ep, status), n in rec.statuses.items() if status == 0 or status >= 500)
        print(f"\n[{label}] {verdict.line()} failed_requests={failed} retries={rec.retries} "
              f"reclaims={rec.reclaims} results={dict(rec.results)} finished={rec.finished}/{len(rec.attempts)}")
        return verdict


def assert_whole(verdict: Verdict, rec: Recorder, expected_candidates: int) -> None:
    """Nothing acknowledged is missing, nothing is corrupt, and every candidate got to submit."""
    assert not verdict.lost, f"lost answers: {verdict.lost[:5]}"
    assert not verdict.problems, verdict.problems[:5]
    assert verdict.acknowledged > 0 and verdict.stored == verdict.acknowledged
    assert rec.finished == expected_candidates, rec.error_samples[:5]
    assert verdict.submitted_acked == expected_candidates == verdict.submitted_stored


_templates: dict[str, Database] = {}


@pytest.fixture(scope="session")
def template_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="certexam-faults-"))
    yield path
    for t in _templates.values():
        t.drop()
    _templates.clear()
    shutil.rmtree(path, ignore_errors=True)


def _template(kind: str, root: Path, pg_port: int = 5432) -> Database:
    key = f"{kind}:{pg_port}"
    if key not in _templates:
        _templates[key] = prepare_template(kind, root / key.replace(":", "-"), pg_port)
    return _templates[key]


@pytest.fixture
def make_site(template_dir: Path, tmp_path: Path) -> Iterator[Callable[..., ExamSite]]:
    """Build ExamSite(kind, candidates): a fresh copy of the migrated, seeded template database."""
    sites: list[ExamSite] = []

    def build(kind: str, count: int, pg_port: int = 5432, shared_template: bool = True) -> ExamSite:
        if kind == "postgres" and pg_port == 5432 and not PG:
            pytest.skip("no PostgreSQL server answers on 127.0.0.1:5432")
        template = (_template(kind, template_dir, pg_port) if shared_template
                    else prepare_template(kind, tmp_path / f"tpl-{len(sites)}", pg_port))
        database = copy_database(template, f"t{secrets.token_hex(4)}")
        if not shared_template:
            template.drop()
        site = ExamSite(database, seed_candidates(database, count), tmp_path / f"site-{len(sites)}")
        sites.append(site)
        return site

    yield build
    for site in sites:
        for server in site.servers:
            server.stop()
        if site.database.pg_port == 5432 or site.database.kind == "sqlite":
            site.database.drop()  # a private cluster goes away whole, with its databases


# ---------- a private PostgreSQL cluster, so that restarting it disturbs no other test ----------

PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


@dataclass
class PrivatePostgres:
    datadir: Path
    port: int

    def _ctl(self, *args: str, timeout: float = 60) -> None:
        # The server's output goes to a log file: a pipe would be held open by the postmaster.
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN[-1] / "pg_ctl"), "-D", str(self.datadir),
                        *args], check=True, timeout=timeout,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self) -> None:
        self._ctl("-w", "-l", str(self.datadir / "server.log"), "-o",
                  f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 -c max_connections=60", "start")

    def restart(self) -> None:
        """What `pg_ctlcluster ... restart` does: a fast shutdown (open sessions are cut) and a start."""
        self._ctl("-w", "-l", str(self.datadir / "server.log"), "-m", "fast", "restart")

    def is_ready(self) -> bool:
        probe = subprocess.run([str(PG_BIN[-1] / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                               capture_output=True, timeout=10)
        return probe.returncode == 0

    def stop(self) -> None:
        self._ctl("-w", "-m", "immediate", "stop")


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A throw-away cluster on a free port, made with the machine's own PostgreSQL binaries."""
    if not PG_BIN or shutil.which("runuser") is None or os.geteuid() != 0:
        pytest.skip("needs PostgreSQL server binaries in /usr/lib/postgresql, runuser, and root")
    try:
        subprocess.run(["id", "postgres"], check=True, capture_output=True)
    except (subprocess.CalledProcessError, FileNotFoundError):
        pytest.skip("no postgres system user to run a private cluster")
    datadir = Path(tempfile.mkdtemp(prefix="certexam-pg-", dir="/tmp"))
    shutil.chown(datadir, "postgres", "postgres")
    cluster = PrivatePostgres(datadir, free_port())
    try:
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN[-1] / "initdb"), "-D", str(datadir),
                        "-A", "trust", "-U", "postgres", "--no-sync"], check=True, capture_output=True, timeout=120)
        cluster.start()
        yield cluster
    finally:
        try:
            if cluster.is_ready() or (datadir / "postmaster.pid").exists():
                cluster.stop()
        finally:
            shutil.rmtree(datadir, ignore_errors=True)


def wait_for(predicate: Callable[[], Any], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")
