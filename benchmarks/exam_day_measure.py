"""Measuring a phase: CPU meters, per-endpoint tables, and the CPU cost of each endpoint."""

from __future__ import annotations

import os
import time
from typing import Any

from benchmarks.exam_day_load import (
    PAGE_RESYNC_SECONDS,
    REAL_PAPER_MINUTES,
    Client,
    Policy,
    Recorder,
    percentile,
)
from benchmarks.exam_day_setup import Server, busy_cpu_seconds, machine, postgres_cpu_seconds

ANSWERS_PER_CANDIDATE = 45 * 1.1  # paper 1's 45 questions, a tenth of them changed once (DayPlan.change_share)
ENDPOINTS = ("start", "claim", "paper", "state", "save", "submit")


class Meter:
    """CPU seconds used by the load generator, the gunicorn servers and PostgreSQL over one phase."""

    def __init__(self, servers: list[Server], pg: bool) -> None:
        self.servers, self.pg = servers, pg
        self.t, self.client = time.monotonic(), time.process_time()
        self.server = sum(s.cpu_seconds() for s in servers)
        self.postgres = postgres_cpu_seconds() if pg else 0.0
        self.busy = busy_cpu_seconds()

    def read(self) -> dict[str, float]:
        wall = time.monotonic() - self.t
        cores = wall * _CORES
        return {"wall_s": round(wall, 1), "machine_busy_pct": round(100 * (busy_cpu_seconds() - self.busy) / cores, 1),
                "load_avg_1m": round(os.getloadavg()[0], 2),
                "client_cpu_pct": round(100 * (time.process_time() - self.client) / cores, 1),
                "server_cpu_pct": round(100 * (sum(s.cpu_seconds() for s in self.servers) - self.server) / cores, 1),
                "postgres_cpu_pct": round(100 * (postgres_cpu_seconds() - self.postgres) / cores, 1)
                if self.pg else 0.0}


_CORES = float(machine()["nproc"])


def endpoint_table(rec: Recorder, wall: float) -> dict[str, dict[str, float]]:
    out = {}
    for ep in [*ENDPOINTS, "hello", "upsert"]:
        lat = rec.latencies.get(ep, [])
        count = sum(n for (e, _s), n in rec.statuses.items() if e == ep)
        if not count:
            continue
        out[ep] = {"requests": count, "rps": round(count / wall, 1), "p50_ms": round(percentile(lat, 0.5) * 1e3, 1),
                   "p99_ms": round(percentile(lat, 0.99) * 1e3, 1), "max_ms": round(max(lat, default=0) * 1e3, 1),
                   "errors": rec.errors.get(ep, 0)}
    return out


COST_CANDIDATES = 30  # sequential requests per endpoint for the CPU-cost table
COST_WARMUP = 12  # candidates taken through every endpoint first, unmeasured: each worker warm (caches, SQL)
COST_SAVES_EACH = 10


async def endpoint_costs(app: Server, cands: list[Any], pg: bool) -> dict[str, dict[str, float]]:
    """Server (and PostgreSQL) CPU per request of each endpoint, one request at a time.

    CPU time barely depends on what else runs on the machine, unlike latency,
    so these figures give the capacity of an unshared box: cores / cost. The
    first COST_WARMUP candidates go through unmeasured, so that every worker has
    booted, filled its caches and compiled its SQL before the meter runs.
    """
    rec = Recorder()
    clients = [Client(c, [app.port], rec, Policy()) for c in cands]
    state: dict[int, Any] = {}
    out: dict[str, dict[str, float]] = {}

    async def phase(name: str, calls: list[Any]) -> None:
        meter = Meter([app], pg)
        cpu0, pg0 = app.cpu_seconds(), postgres_cpu_seconds() if pg else 0.0
        for call in calls:
            await call()
        n = len(calls)
        usage = meter.read()
        out[name] = {"requests": n, "server_cpu_ms": round((app.cpu_seconds() - cpu0) * 1e3 / n, 2),
                     "postgres_cpu_ms": round((postgres_cpu_seconds() - pg0) * 1e3 / n, 2) if pg else 0.0,
                     "wall_ms": round(usage["wall_s"] * 1e3 / n, 1)}

    def start(i: int) -> Any:
        async def go() -> None:
            r = await clients[i].call("start", "POST", f"/api/v1/registrations/{cands[i].registration_id}/papers/P1/start")
            state[i] = {"aid": r.json()["attempt_id"], "seq": 0, "device": r.json()["device"]}
        return go

    def claim(i: int) -> Any:  # what a reload or a second device costs (a new attempt needs none)
        async def go() -> None:
            r = await clients[i].call("claim", "POST", f"/api/v1/attempts/{state[i]['aid']}/claim")
            state[i]["device"] = r.json()["device"]
        return go

    def paper(i: int) -> Any:
        async def go() -> None:
            r = await clients[i].call("paper", "GET", f"/api/v1/attempts/{state[i]['aid']}/paper")
            state[i]["slots"] = r.json()["items"]
        return go

    def save_one(i: int, k: int) -> Any:
        async def go() -> None:
            s = state[i]
            s["seq"] += 1
            item = s["slots"][k]
            await clients[i].call("save", "PUT", f"/api/v1/attempts/{s['aid']}/answers/{item['slot']}",
                                  {"seq": s["seq"], "answer": item["item"]["options"][0]["key"], "device": s["device"]})
        return go

    def poll(i: int) -> Any:
        async def go() -> None:
            await clients[i].call("state", "GET", f"/api/v1/attempts/{state[i]['aid']}")
        return go

    def finish(i: int) -> Any:
        async def go() -> None:
            await clients[i].call("submit", "POST", f"/api/v1/attempts/{state[i]['aid']}/submit",
                                  {"device": state[i]["device"]})
        return go

    warm = range(min(COST_WARMUP, len(cands) // 2))
    for make in (start, claim, paper):
        for i in warm:
            await make(i)()
    for i in warm:
        await save_one(i, 0)()
        await poll(i)()
        await finish(i)()
    idx = range(len(warm), len(cands))
    await phase("start", [start(i) for i in idx])
    await phase("claim", [claim(i) for i in idx])
    await phase("paper", [paper(i) for i in idx])
    await phase("save", [save_one(i, k) for k in range(COST_SAVES_EACH) for i in idx])
    await phase("state", [poll(i) for _ in range(COST_SAVES_EACH) for i in idx])
    await phase("submit", [finish(i) for i in idx])
    if rec.errors:
        raise RuntimeError(f"cost phase failed: {rec.error_samples[:3]}")
    return out


def cores_needed(costs: dict[str, dict[str, float]], n: int, pg: bool) -> dict[str, float]:
    """CPU cores the server (plus PostgreSQL) needs for n real candidates, by phase of the day."""
    def c(ep: str) -> float:
        row = costs[ep]
        return (row["server_cpu_ms"] + (row["postgres_cpu_ms"] if pg else 0.0)) / 1e3

    answers = ANSWERS_PER_CANDIDATE
    polls = n / PAGE_RESYNC_SECONDS * c("state")
    # A new attempt comes with its device token, so a start minute is start + paper; claim is a reload's cost.
    return {"start_minute": round(n / 60 * (c("start") + c("paper")) + polls, 2),
            "answering": round(n * answers / (REAL_PAPER_MINUTES * 60) * c("save") + polls, 2),
            "submit_minute": round(n / 60 * c("submit") + n * answers / (REAL_PAPER_MINUTES * 60) * c("save")
                                   + polls, 2)}
