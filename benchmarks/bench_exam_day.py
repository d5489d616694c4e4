"""Exam day under gunicorn on SQLite and PostgreSQL (issue 4), next to bare baselines served the same way.

Run (from the repository root; PostgreSQL on 127.0.0.1:5432 for --db postgres):

    .venv/bin/python benchmarks/bench_exam_day.py --db sqlite,postgres --out /tmp/exam_day.json

Per database, in one run:
1. Saturation, closed loop: C clients send back-to-back requests to (a) a bare
   Flask endpoint, (b) the bare durable write (one SQLAlchemy upsert + commit),
   (c) the autosave endpoint; alternating rounds so all three see the same
   machine. Autosave throughput is reported as a share of (b).
2. Exam days, open loop: the real day (60-minute paper 1, starts within the
   first minute, submits within the last, the page's 30 s clock resync)
   compressed by --factor F in every duration, so N/F simulated candidates send
   the requests per second of N real ones. N is searched for the largest value
   with p99 < 200 ms on every endpoint, no error and no lost answer.
With --push (issue 18, "with the push channel open for every candidate"), every
candidate keeps the page's long poll of /attempts/<id>/push open from its start
to its submit, served as docs/deploy.md says for thousands of candidates: by the
push server (`certexam push-server`, one asyncio process; --push-server gunicorn:
a second gunicorn pool instead), to which the load generator routes /push as nginx
would, while the main app lets none wait (CERTEXAM_PUSH_MAX_WAITERS=0). The
poll's wait (--push-wait, the app's default 50 s) is compressed by F like every other duration (so N/F candidates
send the polls per second of N); in the saturation test --push-waiters candidates
poll during the autosave rounds only (the bare baselines run without them).
The load generator runs on the same machine; its CPU is measured and reported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import baseline_app  # noqa: E402
from benchmarks.exam_day_http import request  # noqa: E402
from benchmarks.exam_day_load import (  # noqa: E402
    Client,
    DayPlan,
    Policy,
    Recorder,
    closed_loop,
    exam_day,
    keep_listening,
    open_attempt,
    percentile,
)
from benchmarks.exam_day_measure import (  # noqa: E402
    COST_CANDIDATES,
    COST_WARMUP,
    Meter,
    cores_needed,
    endpoint_costs,
    endpoint_table,
)
from benchmarks.exam_day_setup import (  # noqa: E402
    Database,
    Server,
    ServerSettings,
    copy_database,
    free_port,
    machine,
    prepare_template,
    seed_candidates,
)
from benchmarks.exam_day_verify import Ack, answer_json, check  # noqa: E402

P99_LIMIT = 0.200  # issue 4: "p99 latency under 200 ms"
AIM_CANDIDATES = 10_000  # issue 4: "Aims: 10,000 concurrent candidates on this 2-core machine"
AIM_SHARE = 0.70  # issue 4: "autosave at 70% or more of the bare durable write"
PUSH_WAIT_SECONDS = 50.0  # certexam/services/attempts/push.py DEFAULTS (25 before session 9): the poll's bounded wait
PUSH_THREADS_SPARE = 8  # docs/deploy.md: threads at least PUSH_MAX_WAITERS + 8
ASYNC_PUSH_THREADS = 8  # certexam push-server's default --threads (reads and Flask's answers; waiters use none)


class AsyncPushServer(Server):
    """`certexam push-server` (certexam/api/push_server.py) in a subprocess of its own process group:
    one process, so its CPU (pool_cpu_ms_per_poll) is that of its own threads; stopped by `stop`."""

    def __init__(self, database_url: str, instance: Path, key: str, threads: int, extra_env: dict[str, str],
                 nice: int = 0) -> None:
        from certexam.api.push_server import READY_MARK

        self.port, self.instance, self.ready_mark = free_port(), instance, READY_MARK
        instance.mkdir(parents=True, exist_ok=True)
        self.log_path = instance / f"push-server-{self.port}.log"
        env = {**os.environ, "CERTEXAM_DATABASE_URL": database_url, "CERTEXAM_INSTANCE_PATH": str(instance),
               "CERTEXAM_SECRET_KEY": key, "CERTEXAM_MAIL_BACKEND": "memory", **extra_env}
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("certexam")), "push-server", "--port", str(self.port),
             "--threads", str(threads)], env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=(lambda: os.nice(nice)) if nice else None)  # noqa: PLW1509 - no threads in the parent yet matter

    def wait_ready(self, path: str = "") -> None:
        deadline = time.monotonic() + 90
        while self.ready_mark not in self.log_path.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"certexam push-server not ready ({self.proc.poll()}); see {self.log_path}")
            time.sleep(0.2)

    def wait_warm(self, workers: int) -> None:
        pass  # no item cache: it serves the push route only

    def worker_pids(self) -> list[int]:
        return []


def push_pool(database_url: str, instance: Path, key: str, waiters: int, args: argparse.Namespace) -> Server:
    """The push channel's server of docs/deploy.md, the wait compressed by F like the rest of the day:
    `certexam push-server` (--push-server async), or a gunicorn pool whose processes can each hold
    every waiter (unless --push-threads says otherwise)."""
    wait = {"CERTEXAM_PUSH_WAIT_SECONDS": f"{args.push_wait / args.factor:g}"}
    if args.push_server == "async":
        server = AsyncPushServer(database_url, instance, key, args.push_threads or ASYNC_PUSH_THREADS, wait,
                                 args.push_nice)
        server.wait_ready()
        return server
    threads = args.push_threads or waiters + PUSH_THREADS_SPARE
    env = {**wait, "CERTEXAM_PUSH_MAX_WAITERS": str(max(1, threads - PUSH_THREADS_SPARE))}
    pool = Server("certexam.wsgi:app", database_url, instance, ServerSettings(workers=args.push_workers,
                  threads=threads), key, extra_env=env)
    pool.wait_ready()
    pool.wait_warm(args.push_workers)
    return pool


def push_stats(rec: Recorder, pool_cpu_s: float | None = None) -> dict[str, Any]:
    """The polls' answers and latency; with the push pool's CPU seconds over the same span, its CPU
    per answered poll (the pool serves nothing else: its watcher and its polls, session 9)."""
    lat = rec.latencies.get("push", [])
    out: dict[str, Any] = {"answers": rec.push_answers, "retry_after": rec.push_busy, "changed": rec.push_changed,
           "errors": rec.errors.get("push", 0), "p50_ms": round(percentile(lat, 0.5) * 1e3, 1) if lat else 0.0,
           "p99_ms": round(percentile(lat, 0.99) * 1e3, 1) if lat else 0.0}
    if pool_cpu_s is not None:
        out["pool_cpu_s"] = round(pool_cpu_s, 1)
        out["pool_cpu_ms_per_poll"] = round(pool_cpu_s * 1e3 / rec.push_answers, 2) if rec.push_answers else None
    return out


async def _saturate(app: Server, base: Server, cands: list[Any], concurrency: int, seconds: float,
                    rounds: int, pg: bool, pool: Server | None = None, scale: float = 1.0,
                    wait: float = PUSH_WAIT_SECONDS) -> dict[str, Any]:
    opener = Recorder()
    # Set-up, not measured: retried, because concurrent starts can deadlock on PostgreSQL (see RESULTS).
    opened = await asyncio.gather(*(open_attempt(Client(c, [app.port], opener, Policy(tries=5))) for c in cands))
    if any(o is None for o in opened):
        raise RuntimeError(f"could not open attempts for the autosave test: {opener.error_samples[:3]}")
    attempts = [o for o in opened if o is not None][:concurrency]
    # With a push pool, every candidate (the savers and the others) polls during the autosave rounds only.
    gate, pushed, listeners = asyncio.Event(), Recorder(), []
    if pool is not None:
        listeners = [asyncio.create_task(keep_listening(Client(c, [app.port], pushed, Policy(), [pool.port]),
                                                        o[0], o[1], scale, gate))
                     for c, o in zip(cands, opened, strict=True) if o is not None]
    pool_cpu = pool.cpu_seconds() if pool is not None else 0.0
    seqs = [a[2] for a in attempts]
    acks: list[Ack] = []
    keys = {slot: [o["key"] for o in item["options"]] for slot, item in attempts[0][3]}
    rows: dict[str, list[dict[str, Any]]] = {"hello": [], "upsert": [], "save": []}

    async def hello(_w: int, _i: int) -> Any:
        return await request(base.port, "GET", "/hello")

    async def upsert(w: int, i: int) -> Any:
        return await request(base.port, "PUT", f"/upsert/{w}/{i % 45 + 1}", {"seq": i + 1, "answer": "B"})

    async def autosave(w: int, i: int) -> Any:
        aid, device, _seq, slots = attempts[w]
        slot = slots[i % len(slots)][0]
        seqs[w] += 1
        answer = keys.get(slot, ["A"])[i % 2] if slot in keys else None
        r = await request(app.port, "PUT", f"/api/v1/attempts/{aid}/answers/{slot}",
                          {"seq": seqs[w], "answer": answer, "flagged": False, "device": device},
                          {"Authorization": f"Bearer {cands[w].token}", "Accept": "application/json"})
        if r.status == 200:
            acks.append(Ack(aid, slot, seqs[w], answer_json(answer)))
        return r

    for rnd in range(rounds):
        for name, send, server in (("hello", hello, base), ("upsert", upsert, base), ("save", autosave, app)):
            if listeners and name == "save":
                gate.set()
                await asyncio.sleep(1.5)  # every poll waiting, and a watcher scan, before the meter starts
            rec = Recorder()
            meter = Meter([server, *([pool] if pool is not None and name == "save" else [])], pg)
            wall = await closed_loop(concurrency, seconds, name, send, rec)
            if listeners and name == "save":
                gate.clear()
                await asyncio.sleep(wait * scale + 1.0)  # the polls in flight come back
            row = {"round": rnd + 1, **endpoint_table(rec, wall)[name], **meter.read()}
            rows[name].append(row)
            print(f"  saturation round {rnd + 1} {name:<6} {row['rps']:7.1f} req/s  p50 {row['p50_ms']:6.1f} ms  "
                  f"p99 {row['p99_ms']:6.1f} ms  errors {row['errors']}  client CPU {row['client_cpu_pct']}%  "
                  f"server CPU {row['server_cpu_pct']}%  pg CPU {row['postgres_cpu_pct']}%  machine busy {row['machine_busy_pct']}%",
                  flush=True)
    for task in listeners:
        task.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    pool_cpu = pool.cpu_seconds() - pool_cpu if pool is not None else 0.0
    shares = [s["rps"] / u["rps"] for s, u in zip(rows["save"], rows["upsert"], strict=True)]
    if listeners:
        print(f"  push during the autosave rounds: {push_stats(pushed, pool_cpu)}", flush=True)
    return {"rows": rows, "autosave_share_of_upsert": [round(x, 3) for x in shares], "acks": acks,
            "attempts": [a[0] for a in attempts], "push": push_stats(pushed, pool_cpu) if listeners else None}


def saturation(template: Database, settings: ServerSettings, args: argparse.Namespace) -> dict[str, Any]:
    concurrency, seconds, rounds = args.concurrency, args.seconds, args.rounds
    database = copy_database(template, "sat")
    polling = max(concurrency, args.push_waiters) if args.push else concurrency
    cands = seed_candidates(database, polling + COST_WARMUP + COST_CANDIDATES)
    cands, cost_cands = cands[:polling], cands[polling:]
    baseline_app.create_table(database.url)
    key = secrets.token_hex(32)
    app = Server("certexam.wsgi:app", database.url, template.workdir / "inst-sat", settings, key,
                 extra_env={"CERTEXAM_PUSH_MAX_WAITERS": "0"} if args.push else None)
    base = Server("benchmarks.baseline_app:create_app()", database.url, template.workdir / "inst-base", settings, key)
    pool: Server | None = None
    try:
        if args.push:
            pool = push_pool(database.url, template.workdir / "inst-sat-push", key, polling, args)
        app.wait_ready()
        app.wait_warm(settings.workers)
        base.wait_ready("/hello")
        pg = database.kind == "postgres"
        costs = asyncio.run(endpoint_costs(app, cost_cands, pg))
        for ep, row in costs.items():
            print(f"  cost {ep:<7} server CPU {row['server_cpu_ms']:6.2f} ms/request  postgres CPU "
                  f"{row['postgres_cpu_ms']:6.2f} ms  wall {row['wall_ms']:6.1f} ms", flush=True)
        need = cores_needed(costs, AIM_CANDIDATES, pg)
        print(f"  cores needed for {AIM_CANDIDATES} candidates (server{' + postgres' if pg else ''}, no client): "
              f"{need}", flush=True)
        result = asyncio.run(_saturate(app, base, cands, concurrency, seconds, rounds, pg, pool, 1 / args.factor,
                                           args.push_wait))
        result["costs"], result["cores_needed_for_aim"] = costs, need
        verdict = check(database.url, result.pop("acks"), (), result.pop("attempts"))
        result["verify"] = verdict.line()
        print("  saturation check:", verdict.line(), flush=True)
        return result
    finally:
        app.stop()
        base.stop()
        if pool is not None:
            pool.stop()
        database.drop()


async def warm_up(cands: list[Any], port: int) -> None:
    """A fresh worker's first requests import and compile what later ones reuse; not part of the day."""
    rec = Recorder()
    await exam_day(cands, [port], DayPlan(exam_seconds=6, start_window=1, submit_window=1, resync_seconds=2),
                   Policy(tries=5), rec=rec)  # retried: concurrent starts can deadlock on PostgreSQL
    if rec.finished != len(cands):
        raise RuntimeError(f"warm-up failed: {rec.error_samples[:3]}")


def day(template: Database, n_real: int, args: argparse.Namespace, settings: ServerSettings,
        seed: int) -> dict[str, Any]:
    """One compressed exam day for `n_real` candidates; the verdict and the figures."""
    factor = args.factor
    n_sim = max(1, round(n_real / factor))
    plan = DayPlan.compressed(factor)
    database = copy_database(template, f"day{n_real}")
    warm = settings.workers * settings.threads
    cands = seed_candidates(database, n_sim + warm)
    cands, warmers = cands[:n_sim], cands[n_sim:]
    key = secrets.token_hex(32)
    server = Server("certexam.wsgi:app", database.url, template.workdir / f"inst-{n_real}", settings, key,
                    extra_env={"CERTEXAM_PUSH_MAX_WAITERS": "0"} if args.push else None)
    pool: Server | None = None
    try:
        server.wait_ready()
        server.wait_warm(settings.workers)
        if args.push:
            pool = push_pool(database.url, template.workdir / f"inst-{n_real}-push", key, n_sim, args)
        asyncio.run(warm_up(warmers, server.port))
        meter = Meter([server, *([pool] if pool is not None else [])], database.kind == "postgres")
        pool_cpu = pool.cpu_seconds() if pool is not None else 0.0
        rec = asyncio.run(exam_day(cands, [server.port], plan, Policy(tries=1, timeout=30.0), seed=seed,
                                   push_ports=[pool.port] if pool is not None else ()))
        usage = meter.read()
        pool_cpu = pool.cpu_seconds() - pool_cpu if pool is not None else 0.0
        verdict = check(database.url, rec.acks, rec.submitted, rec.attempts)
    finally:
        server.stop()
        if pool is not None:
            pool.stop()
        database.drop()
    table = endpoint_table(rec, usage["wall_s"])
    errors = sum(rec.errors.values())
    worst = max((row["p99_ms"] for row in table.values()), default=float("inf"))
    whole = worst < P99_LIMIT * 1e3 and not verdict.lost and not verdict.problems
    passed = whole and errors == 0 and rec.finished == n_sim
    # The same verdict if the start deadlock on PostgreSQL were fixed (its 500s, and the candidates
    # they stopped, left out): what the search steers by, so that the bug does not hide the capacity.
    start_500 = rec.statuses.get(("start", 500), 0)
    passed_but_start_500 = whole and errors == start_500 and rec.finished == n_sim - start_500
    total = sum(row["requests"] for row in table.values())
    return {"n_real": n_real, "n_sim": n_sim, "factor": factor, "passed": passed,
            "passed_but_start_500": passed_but_start_500, "start_500": start_500, "worst_p99_ms": worst,
            "errors": errors, "error_samples": rec.error_samples[:5], "finished": rec.finished,
            "requests": total, "rps": round(total / usage["wall_s"], 1), "endpoints": table,
            "verify": verdict.line(), "lost": len(verdict.lost), "problems": verdict.problems[:5],
            "save_results": dict(rec.results), **usage, "push": push_stats(rec, pool_cpu) if args.push else None,
            "schedule_lag_p99_ms": round(percentile(rec.schedule_lag, 0.99) * 1e3, 1) if rec.schedule_lag else 0.0,
            "loop_lag_p99_ms": round(percentile(rec.loop_lag, 0.99) * 1e3, 1),
            "loop_lag_max_ms": round(max(rec.loop_lag, default=0.0) * 1e3, 1),
            "client_gc_max_ms": round(max(rec.gc_pauses, default=0.0) * 1e3, 1),
            "client_gc_over_10ms": sum(p > 0.010 for p in rec.gc_pauses)}


def search(template: Database, args: argparse.Namespace, settings: ServerSettings) -> list[dict[str, Any]]:
    """Double N while it passes, then bisect; at most --max-runs exam days."""
    runs: list[dict[str, Any]] = []
    fixed = [int(x) for x in args.n.split(",")] if args.n else []
    lo, hi, n = 0, 0, (fixed[0] if fixed else args.n_start)
    for i in range(len(fixed) if fixed else args.max_runs):
        print(f"  exam day: {n} candidates ({round(n / args.factor)} simulated, time / {args.factor:g})", flush=True)
        r = day(template, n, args, settings, seed=i + 1)
        runs.append(r)
        verdict = "PASS" if r["passed"] else ("PASS but for start 500s" if r["passed_but_start_500"] else "FAIL")
        print(f"    {verdict} ({r['start_500']} start 500s)  worst p99 {r['worst_p99_ms']} ms  errors {r['errors']}  "
              f"{r['verify']}  {r['rps']} req/s  client CPU {r['client_cpu_pct']}%  server CPU "
              f"{r['server_cpu_pct']}%  pg CPU {r['postgres_cpu_pct']}%  machine busy {r['machine_busy_pct']}%  "
              f"load {r['load_avg_1m']}", flush=True)
        print(f"      load generator: loop lag p99 {r['loop_lag_p99_ms']} max {r['loop_lag_max_ms']} ms, "
              f"its GC pauses max {r['client_gc_max_ms']} ms ({r['client_gc_over_10ms']} over 10 ms)", flush=True)
        if r["push"]:
            print(f"      push    {r['push']}", flush=True)
        for ep, row in r["endpoints"].items():
            print(f"      {ep:<7} {row['requests']:7d} req {row['rps']:7.1f}/s  p50 {row['p50_ms']:7.1f}  "
                  f"p99 {row['p99_ms']:7.1f}  max {row['max_ms']:7.1f} ms  errors {row['errors']}", flush=True)
        if fixed:
            n = fixed[i + 1] if i + 1 < len(fixed) else n
            continue
        if r["passed_but_start_500"]:
            lo = n
        else:
            hi = n
        if hi and lo and hi / lo <= 1.15:
            break
        n = n * 2 if not hi else (round((lo * hi) ** 0.5 / 100) * 100 if lo else max(100, n // 2))
        if n in (lo, hi):
            break
    return runs


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--db", default="sqlite,postgres")
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--threads", type=int, default=3)
    ap.add_argument("--factor", type=float, default=20.0, help="time compression (60-min paper -> 3 min)")
    ap.add_argument("--n", default="", help="comma-separated real-candidate counts instead of the search")
    ap.add_argument("--n-start", type=int, default=1000)
    ap.add_argument("--max-runs", type=int, default=4)
    ap.add_argument("--concurrency", type=int, default=16, help="closed-loop clients in the saturation test")
    ap.add_argument("--seconds", type=float, default=10.0, help="per saturation round")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--skip-saturation", action="store_true")
    ap.add_argument("--push", action="store_true", help="every candidate keeps the push channel open (issue 18)")
    ap.add_argument("--push-wait", type=float, default=PUSH_WAIT_SECONDS,
                    help="the push poll's wait in real seconds (compressed by F); 25 for a tree before session 9")
    ap.add_argument("--push-server", choices=("async", "gunicorn"), default="async",
                    help="the push channel's server: certexam push-server, or a second gunicorn pool")
    ap.add_argument("--push-workers", type=int, default=2, help="processes of the gunicorn push pool")
    ap.add_argument("--push-threads", type=int, default=0,
                    help="threads per push-pool process (0: async 8; gunicorn every candidate fits in one, + 8 spare)")
    ap.add_argument("--push-waiters", type=int, default=100,
                    help="candidates polling during the saturation's autosave rounds (savers included)")
    ap.add_argument("--push-nice", type=int, default=0,
                    help="run the push server at this nice value (docs/deploy.md: Nice=10, so saves go first)")
    ap.add_argument("--assembly", choices=("per_candidate", "pre_assembled"), default="per_candidate",
                    help="pre_assembled: the sitting's forms are assembled ahead and a start hands one out (issue 21)")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    # A background job ignores SIGINT; on SIGTERM still stop the servers and drop the databases.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    settings = ServerSettings(workers=args.workers, threads=args.threads)
    report: dict[str, Any] = {"machine": machine(), "server": settings.describe(), "argv": sys.argv, "dbs": {},
                              "push": args.push, "push_server": args.push_server if args.push else None,
                              "assembly": args.assembly}
    print(f"machine {report['machine']}\nserver  {report['server']}, forms {args.assembly}", flush=True)
    with tempfile.TemporaryDirectory(prefix="certexam-bench-") as tmp:
        for kind in args.db.split(","):
            print(f"== {kind}", flush=True)
            template = prepare_template(kind, Path(tmp) / kind, assembly=args.assembly)
            try:
                entry: dict[str, Any] = {}
                if not args.skip_saturation:
                    entry["saturation"] = saturation(template, settings, args)
                entry["days"] = search(template, args, settings)
                passed = [r for r in entry["days"] if r["passed"]]
                entry["largest_passing_n"] = max((r["n_real"] for r in passed), default=0)
                entry["largest_passing_n_but_start_500"] = max(
                    (r["n_real"] for r in entry["days"] if r["passed_but_start_500"]), default=0)
                report["dbs"][kind] = entry
                print(f"  largest passing N: {entry['largest_passing_n']}, but for start 500s: "
                      f"{entry['largest_passing_n_but_start_500']} (aim {AIM_CANDIDATES}); load now "
                      f"{machine()['load']}", flush=True)
            finally:
                template.drop()
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
