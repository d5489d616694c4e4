"""Exam-day fixtures outside pytest: a seeded database and gunicorn servers as subprocesses.

The bank, the sitting and its first paper go through the real services (the
test helpers in tests/exam_setup.py); candidates, registrations and API tokens
are inserted in bulk, because N may be ten thousand and a real sign-up hashes
a password with argon2 (a second of CPU per hundred candidates).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python benchmarks/bench_exam_day.py` from anywhere
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from certexam import create_app, db, migrate  # noqa: E402
from certexam.models import ApiToken, Registration, Role, User  # noqa: E402
from certexam.services.accounts.api_tokens import PREFIX  # noqa: E402
from certexam.services.bank import item_cache  # noqa: E402

PG_ADMIN = "host=127.0.0.1 port={port} user=postgres dbname=postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"
LEVEL1_MODULES = tuple(sorted(p.stem for p in (ROOT / "question_bank" / "level1").glob("L1-*.yaml")))
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
READY_TIMEOUT = 90.0  # seconds a fresh gunicorn gets to answer (30 failed on a machine at load 20-30)
LATE_ENTRY_MINUTES = 120  # the compressed exam day must never hit the late-entry limit


@dataclass(frozen=True)
class Candidate:
    user_id: int
    registration_id: int
    token: str


@dataclass
class Database:
    """One benchmark database: an SQLite file or a PostgreSQL database on 127.0.0.1."""

    url: str
    kind: str
    workdir: Path
    pg_name: str | None = None
    pg_port: int = 5432

    def drop(self) -> None:
        if self.pg_name:
            _pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)', self.pg_port)


def _pg_admin(sql: str, port: int = 5432) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN.format(port=port), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def app_config(database_url: str, instance: Path, secret_key: str) -> dict[str, Any]:
    return {"DATABASE_URL": database_url, "INSTANCE_PATH": str(instance), "SECRET_KEY": secret_key,
            "MAIL_BACKEND": "memory"}


def prepare_template(kind: str, workdir: Path, pg_port: int = 5432, assembly: str = "per_candidate") -> Database:
    """A migrated database holding the whole level-1 bank and a sitting whose paper 1 is open; with
    assembly "pre_assembled" its forms are assembled ahead, as the worker does when registration
    closes (issue 21), so a start only hands one out."""
    from tests.exam_setup import load_bank, open_sitting

    workdir.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        database = Database(f"sqlite:///{workdir / 'template.sqlite3'}", kind, workdir)
    else:
        name = f"certexam_bench_{uuid.uuid4().hex[:10]}"
        _pg_admin(f'CREATE DATABASE "{name}"', pg_port)
        database = Database(PG_URL.format(port=pg_port, name=name), kind, workdir, name, pg_port)
    migrate.upgrade(database.url)
    app = create_app(app_config(database.url, workdir / "instance", "template-" + secrets.token_hex(8)))
    load_bank(app, LEVEL1_MODULES)
    sitting_id = open_sitting(app, late_entry_minutes=LATE_ENTRY_MINUTES, assembly_mode=assembly)
    if assembly == "pre_assembled":
        from certexam.services.sittings import pre_assembly

        with app.test_request_context():
            pre_assembly.assemble(sitting_id)
    app.extensions["certexam.engine"].dispose()
    return database


def copy_database(template: Database, label: str) -> Database:
    """A fresh copy of the template (a file copy, or CREATE DATABASE ... TEMPLATE)."""
    if template.kind == "sqlite":
        target = template.workdir / f"{label}.sqlite3"
        src = Path(template.url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            if Path(str(target) + suffix).exists():
                Path(str(target) + suffix).unlink()
        shutil.copyfile(src, target)
        return Database(f"sqlite:///{target}", "sqlite", template.workdir)
    name = f"{template.pg_name}_{label}"[:63]
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', template.pg_port)
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template.pg_name}"', template.pg_port)
    return Database(PG_URL.format(port=template.pg_port, name=name), "postgres", template.workdir, name,
                    template.pg_port)


def seed_candidates(database: Database, count: int, batch: int = 2000) -> list[Candidate]:
    """Insert `count` candidates registered for the open sitting, each with a bearer token."""
    from certexam.models import Sitting

    engine = db.make_engine(database.url)
    now = db.utcnow()
    tag = uuid.uuid4().hex[:8]
    out: list[Candidate] = []
    try:
        with engine.begin() as conn:
            sitting_id = conn.scalar(select(Sitting.id).order_by(Sitting.id.desc()))
            for lo in range(0, count, batch):
                n = min(batch, count - lo)
                conn.execute(insert(User), [{
                    "email": f"bench-{tag}-{lo + i}@example.com", "password_hash": "!unusable",
                    "role": Role.CANDIDATE, "name_zh": "考生", "name_en": "Candidate", "name_family": "Candidate", "active": True,
                    "created_at": now} for i in range(n)])
                ids = list(conn.scalars(select(User.id).where(User.email.like(f"bench-{tag}-%"))
                                        .order_by(User.id).offset(lo).limit(n)))
                conn.execute(insert(Registration), [{
                    "sitting_id": sitting_id, "user_id": uid, "admission_no": f"B{tag}{uid:07d}",
                    "extra_minutes": 0, "time_multiplier_pct": 100, "created_at": now} for uid in ids])
                tokens = [PREFIX + secrets.token_urlsafe(32) for _ in ids]
                conn.execute(insert(ApiToken), [{
                    "user_id": uid, "name": "bench", "token_hash": hashlib.sha256(t.encode()).hexdigest(),
                    "created_at": now} for uid, t in zip(ids, tokens, strict=True)])
                regs = dict(conn.execute(select(Registration.user_id, Registration.id)
                                         .where(Registration.user_id.in_(ids))).all())
                out.extend(Candidate(uid, regs[uid], t) for uid, t in zip(ids, tokens, strict=True))
    finally:
        engine.dispose()
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerSettings:
    """gunicorn flags shared by the app and the baselines, so both are served the same way."""

    workers: int = 2
    threads: int = 4
    worker_class: str = "gthread"
    backlog: int = 4096
    timeout: int = 60

    def args(self) -> list[str]:
        return ["-k", self.worker_class, "-w", str(self.workers), "--threads", str(self.threads),
                "--backlog", str(self.backlog), "--timeout", str(self.timeout), "--graceful-timeout", "5"]

    def describe(self) -> str:
        return f"gunicorn -k {self.worker_class} -w {self.workers} --threads {self.threads} --backlog {self.backlog}"


class Server:
    """gunicorn in a subprocess of its own process group; stopped (and reaped) by `stop`."""

    def __init__(self, app_spec: str, database_url: str, instance: Path, settings: ServerSettings,
                 secret_key: str, port: int | None = None, extra_env: dict[str, str] | None = None) -> None:
        self.port = port or free_port()
        self.instance = instance
        instance.mkdir(parents=True, exist_ok=True)
        self.log_path = instance / f"gunicorn-{self.port}.log"
        env = {**os.environ, "CERTEXAM_DATABASE_URL": database_url, "CERTEXAM_INSTANCE_PATH": str(instance),
               "CERTEXAM_SECRET_KEY": secret_key, "CERTEXAM_MAIL_BACKEND": "memory", **(extra_env or {})}
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [GUNICORN, *settings.args(), "-b", f"127.0.0.1:{self.port}", "--chdir", str(ROOT), app_spec],
            env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, path: str = "/api/v1/openapi.json") -> None:
        import urllib.request

        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}); see {self.log_path}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as resp:
                    if resp.status == 200 and len(self.worker_pids()) > 0:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn on port {self.port} not ready in {READY_TIMEOUT} s; see {self.log_path}")

    def wait_warm(self, workers: int) -> None:
        """Until every worker has logged certexam.wsgi's ready line (its item cache is filled): an exam
        day starts long after the servers boot, so the measured minute must not include their warm-up."""
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.log_path.read_text(errors="replace").count(item_cache.READY_MARK) >= workers:
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn on port {self.port}: workers not warm in {READY_TIMEOUT} s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        return children_of(self.proc.pid)

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(pid) for pid in [self.proc.pid, *self.worker_pids()])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # our own process group only
                self.proc.wait(timeout=10)
        self._log.close()


def children_of(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            out.extend(int(x) for x in task.read_text().split())
        except OSError:
            continue
    return out


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one live process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def busy_cpu_seconds() -> float:
    """CPU time the whole machine spent not idle (all processes, ours and everyone else's)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / _TICK


def postgres_cpu_seconds() -> float:
    """CPU of every postgres process on the machine (the server is shared; read it as a bound)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if "(postgres)" in text:
            total += cpu_seconds(int(stat.parent.name))
    return total


def machine() -> dict[str, str]:
    model = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                  if ln.startswith("model name")), "?")
    return {"nproc": str(os.cpu_count()), "cpu": model, "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "python": sys.version.split()[0]}
