"""Simulated candidates for the exam-day benchmark and the fault tests.

A candidate does what an API client of the exam page does: start paper 1
(a new attempt comes with its device token; one begun earlier is claimed),
fetch the paper, save every answer (and change a few) with think time between them, resync the clock every 30 s,
and submit. Every save the server acknowledges with 200 is kept, so the
database can be checked against it afterwards. With push ports, it also keeps
the page's push channel open from its start to its submit (`keep_listening`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.exam_day_http import Reply, request
from benchmarks.exam_day_setup import Candidate
from benchmarks.exam_day_verify import Ack, answer_json

PAGE_RESYNC_SECONDS = 30.0  # certexam/static/js/attempt.js: setInterval(resync, 30000)
REAL_PAPER_MINUTES = 60  # certexam/domain/blueprint.py: level-1 paper 1 (45 questions) lasts 60 minutes
REAL_START_WINDOW = 60.0  # issue 4: "N candidates start within one minute"
REAL_SUBMIT_WINDOW = 60.0  # issue 4: "... and submit within the last minute"
EXPECTED = {"start": 201}  # every other endpoint answers 200 on success
LOOP_PROBE_SECONDS = 0.1
MAX_RECLAIMS = 1000  # bound on "reload the page" recoveries per run
PUSH_BACKOFF_SECONDS = (1.0, 30.0)  # certexam/static/js/attempt.js listen(): after a failed poll, 1 s doubling to 30 s


@dataclass(frozen=True)
class Policy:
    """How a client reacts to a failure: tries=1 reports it (the benchmark); more retries like the page."""

    tries: int = 1
    timeout: float = 30.0
    backoff: float = 0.2
    backoff_max: float = 2.0


@dataclass(frozen=True)
class DayPlan:
    """A compressed exam day: starts spread over `start_window`, submits in the last `submit_window`."""

    exam_seconds: float = 180.0
    start_window: float = 60.0
    submit_window: float = 60.0
    resync_seconds: float | None = PAGE_RESYNC_SECONDS
    change_share: float = 0.1  # answers changed once more during review
    flag_share: float = 0.05
    duplicate_share: float = 0.0  # fault tests: resend an acknowledged save
    stale_share: float = 0.0  # fault tests: resend an older save after a newer one
    scale: float = 1.0  # the compression of the page's own waits (a push retry_after, its back-off)

    @classmethod
    def compressed(cls, factor: float, paper_minutes: float = REAL_PAPER_MINUTES) -> DayPlan:
        """The real day with every duration divided by `factor`: N simulated candidates then send
        the requests per second of factor x N real ones, in every phase alike."""
        return cls(exam_seconds=paper_minutes * 60 / factor, start_window=REAL_START_WINDOW / factor,
                   submit_window=REAL_SUBMIT_WINDOW / factor, resync_seconds=PAGE_RESYNC_SECONDS / factor,
                   scale=1 / factor)


@dataclass
class Recorder:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)
    submitted: list[int] = field(default_factory=list)
    attempts: list[int] = field(default_factory=list)
    results: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    reclaims: int = 0
    ports: Counter[int] = field(default_factory=Counter)
    schedule_lag: list[float] = field(default_factory=list)
    loop_lag: list[float] = field(default_factory=list)
    gc_pauses: list[float] = field(default_factory=list)  # the load generator's own collections
    finished: int = 0
    push_answers: int = 0  # long polls answered 200 (at the end of the wait, or at once)
    push_busy: int = 0  # ... of which retry_after: the process's cap of waiters was reached
    push_changed: int = 0  # ... of which carried a proctor's action

    def record(self, endpoint: str, seconds: float, reply: Reply) -> None:
        self.statuses[(endpoint, reply.status)] += 1
        if reply.status == EXPECTED.get(endpoint, 200):
            self.latencies[endpoint].append(seconds)
            return
        if reply.status == 0 or reply.status >= 500:
            self.latencies[endpoint].append(seconds)
        self.errors[endpoint] += 1
        if len(self.error_samples) < 20:
            self.error_samples.append(f"{endpoint} {reply.status} {reply.error or reply.body[:160]!r}")


class Client:
    """One candidate's connection to the app servers; requests alternate between `ports` like a balancer."""

    def __init__(self, cand: Candidate, ports: Sequence[int], rec: Recorder, policy: Policy,
                 push_ports: Sequence[int] = ()) -> None:
        self.cand, self.ports, self.rec, self.policy = cand, list(ports), rec, policy
        self.push_ports = list(push_ports)  # where /push goes (a push pool, as nginx routes it); () = no push
        self.headers = {"Authorization": f"Bearer {cand.token}", "Accept": "application/json"}
        self.turn = cand.user_id  # spread first requests over the servers

    async def call(self, endpoint: str, method: str, path: str, body: Any = None,
                   headers: dict[str, str] | None = None) -> Reply:
        reply = Reply(0, b"", "not sent")
        for attempt in range(self.policy.tries):
            port = self.ports[self.turn % len(self.ports)]
            self.turn += 1
            self.rec.ports[port] += 1
            t0 = time.perf_counter()
            reply = await request(port, method, path, body, {**self.headers, **(headers or {})},
                                  self.policy.timeout)
            self.rec.record(endpoint, time.perf_counter() - t0, reply)
            if 0 < reply.status < 500:
                return reply
            if attempt + 1 < self.policy.tries:
                self.rec.retries += 1
                await asyncio.sleep(min(self.policy.backoff * 2 ** attempt, self.policy.backoff_max))
        return reply


def answer_slots(paper: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every answerable slot of a paper: "3", or "3.1" for an item-set child."""
    out = []
    for shown in paper["items"]:
        if shown.get("children"):
            out.extend((str(c["slot"]), c["item"]) for c in shown["children"])
        else:
            out.append((str(shown["slot"]), shown["item"]))
    return out


def pick_answer(item: dict[str, Any], rng: random.Random) -> Any:
    keys = [o["key"] for o in item.get("options") or []]
    kind = item.get("type")
    if kind == "single_choice":
        return rng.choice(keys)
    if kind == "multiple_response":
        return sorted(rng.sample(keys, k=min(2, len(keys))))
    if kind == "true_false":
        return rng.random() < 0.5
    return "考生的回答 / a candidate's answer"


async def _sleep_until(at: float, rec: Recorder) -> None:
    loop = asyncio.get_running_loop()
    delay = at - loop.time()
    if delay > 0:
        await asyncio.sleep(delay)
    else:
        rec.schedule_lag.append(-delay)


async def open_attempt(client: Client) -> tuple[int, str, int, list[tuple[str, dict[str, Any]]]] | None:
    """Start paper 1 (this device holds it) and fetch it; None if any step failed."""
    reg = client.cand.registration_id
    r = await client.call("start", "POST", f"/api/v1/registrations/{reg}/papers/P1/start")
    if r.status != 201:
        return None
    started = r.json()
    aid = int(started["attempt_id"])
    client.rec.attempts.append(aid)
    if started.get("device") is None:  # an attempt begun earlier (a retried start): this device claims it
        r = await client.call("claim", "POST", f"/api/v1/attempts/{aid}/claim")
        if r.status != 200:
            return None
        started = r.json()
    r = await client.call("paper", "GET", f"/api/v1/attempts/{aid}/paper")
    if r.status != 200:
        return None
    return aid, str(started["device"]), int(started["last_seq"]), answer_slots(r.json())


async def save(client: Client, aid: int, device: str, slot: str, seq: int, answer: Any, flagged: bool) -> Reply:
    r = await client.call("save", "PUT", f"/api/v1/attempts/{aid}/answers/{slot}",
                          {"seq": seq, "answer": answer, "flagged": flagged, "device": device})
    if r.status == 200:
        client.rec.acks.append(Ack(aid, slot, seq, answer_json(answer)))
        client.rec.results[str(r.json().get("result"))] += 1
    return r


async def submit(client: Client, aid: int, device: str) -> Reply:
    r = await client.call("submit", "POST", f"/api/v1/attempts/{aid}/submit", {"device": device})
    if r.status == 200 and r.json().get("status") == "submitted":
        client.rec.submitted.append(aid)
    return r


async def keep_listening(client: Client, aid: int, device: str, scale: float = 1.0,
                         gate: asyncio.Event | None = None) -> None:
    """The exam page's push channel (attempt.js listen()), until cancelled: one long poll of
    /attempts/<id>/push always open, asked again as soon as it returns; a retry_after (the
    process's cap of waiters reached) is waited out first, and a failed poll backs off 1 s doubling
    to 30 s. Waits are multiplied by `scale` (the day's compression). The first answer names the
    marker and the page then resyncs its clock once. `gate`, if given, is waited on before each poll."""
    rec = client.rec
    pusher = Client(client.cand, client.push_ports, rec,
                    Policy(tries=1, timeout=max(client.policy.timeout, 60.0)))  # above the server's wait
    path, headers = f"/api/v1/attempts/{aid}/push", {"X-Attempt-Device": device}
    marker: int | None = None
    backoff = PUSH_BACKOFF_SECONDS[0]
    while True:
        if gate is not None:
            await gate.wait()
        r = await pusher.call("push", "GET", path if marker is None else f"{path}?since={marker}", headers=headers)
        if r.status in (401, 403, 404):
            return  # signed out or gone: the page stops listening (recorded as an error)
        if r.status != 200:
            await asyncio.sleep(backoff * scale)
            backoff = min(backoff * 2, PUSH_BACKOFF_SECONDS[1])
            continue
        backoff = PUSH_BACKOFF_SECONDS[0]
        body = r.json()
        rec.push_answers += 1
        rec.push_changed += bool(body.get("changed"))
        if marker is None:  # a proctor may have acted between the page's rendering and this marker
            await client.call("state", "GET", f"/api/v1/attempts/{aid}", headers=headers)
        marker = int(body["marker"])
        if body.get("retry_after"):
            rec.push_busy += 1
            await asyncio.sleep(float(body["retry_after"]) * scale)


async def candidate_day(client: Client, plan: DayPlan, t0: float, rng: random.Random) -> None:
    """One candidate's exam day, from start to submit, on the plan's compressed clock."""
    rec = client.rec
    start_at = t0 + rng.uniform(0, plan.start_window)
    submit_at = t0 + plan.exam_seconds - rng.uniform(0, plan.submit_window)
    await _sleep_until(start_at, rec)
    opened = await open_attempt(client)
    if opened is None:
        return
    listener = (asyncio.create_task(keep_listening(client, opened[0], opened[1], plan.scale))
                if client.push_ports else None)
    try:
        await _answer_and_submit(client, plan, rng, opened, start_at, submit_at)
    finally:
        if listener is not None:  # the page is left: its open poll is dropped
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener


async def _answer_and_submit(client: Client, plan: DayPlan, rng: random.Random,
                             opened: tuple[int, str, int, list[tuple[str, dict[str, Any]]]],
                             start_at: float, submit_at: float) -> None:
    rec = client.rec
    aid, device, seq, slots = opened
    loop = asyncio.get_running_loop()
    order = list(slots) + rng.sample(slots, k=int(len(slots) * plan.change_share))
    begin, end = loop.time(), max(loop.time(), submit_at)
    events: list[tuple[float, str, int]] = [(t, "save", i) for i, t in enumerate(
        sorted(rng.uniform(begin, end) for _ in order))]
    if plan.resync_seconds:
        k = 1
        while start_at + k * plan.resync_seconds < submit_at:
            events.append((start_at + k * plan.resync_seconds, "state", 0))
            k += 1
    events.sort()
    for at, kind, index in events:
        await _sleep_until(at, rec)
        if kind == "state":
            await client.call("state", "GET", f"/api/v1/attempts/{aid}", headers={"X-Attempt-Device": device})
            continue
        slot, item = order[index]
        seq += 1
        answer, flagged = pick_answer(item, rng), rng.random() < plan.flag_share
        r = await save(client, aid, device, slot, seq, answer, flagged)
        if r.status == 409 and r.json().get("code") == "taken_over" and rec.reclaims < MAX_RECLAIMS:
            # A claim that timed out on the client but committed later took the attempt from under us:
            # the candidate reloads the page (a new claim) and saves again.
            rec.reclaims += 1
            c = await client.call("claim", "POST", f"/api/v1/attempts/{aid}/claim")
            if c.status != 200:
                return
            device, seq = str(c.json()["device"]), max(seq, int(c.json()["last_seq"])) + 1
            r = await save(client, aid, device, slot, seq, answer, flagged)
        if r.status == 409:
            return  # closed (or taken over again): the page stops saving
        if r.status == 200 and seq > 1 and rng.random() < plan.stale_share:  # an older change arrives late
            await save(client, aid, device, slot, seq - 1, pick_answer(item, rng), flagged)
        if r.status == 200 and rng.random() < plan.duplicate_share:  # the same save sent again
            await save(client, aid, device, slot, seq, answer, flagged)
    await _sleep_until(submit_at, rec)
    await submit(client, aid, device)
    rec.finished += 1


async def probe_loop(rec: Recorder, stop: asyncio.Event) -> None:
    """How late the load generator's own event loop wakes up: its lag is not the server's."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        t = loop.time()
        await asyncio.sleep(LOOP_PROBE_SECONDS)
        rec.loop_lag.append(max(0.0, loop.time() - t - LOOP_PROBE_SECONDS))


@contextlib.contextmanager
def watch_gc(rec: Recorder) -> Iterator[None]:
    """No garbage collection in the load generator during a day, and a record of any that runs.

    Its collections stopped its event loop for up to 235 ms (measured: 2-4 pauses over 10 ms
    per day at 3,500-5,000 candidates), and every request in flight was measured that much
    slower, though the server was not. Objects alive before the day are frozen, automatic
    collection is off until the day ends (a few minutes of cyclic garbage), then it runs.
    """
    began: list[float] = []

    def callback(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            began.append(time.perf_counter())
        elif began:
            rec.gc_pauses.append(time.perf_counter() - began.pop())

    enabled = gc.isenabled()
    gc.collect()
    gc.freeze()
    gc.disable()
    gc.callbacks.append(callback)
    try:
        yield
    finally:
        gc.callbacks.remove(callback)
        gc.unfreeze()
        if enabled:
            gc.enable()
        gc.collect()


async def exam_day(cands: Sequence[Candidate], ports: Sequence[int], plan: DayPlan, policy: Policy,
                   seed: int = 1, rec: Recorder | None = None,
                   during: Callable[[float], Awaitable[None]] | None = None,
                   push_ports: Sequence[int] = ()) -> Recorder:
    """Run every candidate's day concurrently; `during(t0)` may inject faults meanwhile; with
    `push_ports`, every candidate keeps the push channel open there from start to submit."""
    rec = rec or Recorder()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    with watch_gc(rec):
        # The day's clock and the probe start after watch_gc's full collection (0.3-0.7 s with the
        # earlier days' objects), which the probe had counted as one lag per day and which had
        # pushed the first starts past their times.
        t0 = loop.time() + 0.5
        tasks = [candidate_day(Client(c, ports, rec, policy, push_ports), plan, t0,
                               random.Random(seed * 1_000_003 + i))
                 for i, c in enumerate(cands)]
        if during is not None:
            tasks.append(during(t0))
        probe = asyncio.create_task(probe_loop(rec, stop))
        try:
            async with asyncio.timeout(plan.exam_seconds + 120):  # bounded whatever the server does
                await asyncio.gather(*tasks)
        finally:
            stop.set()
            await probe
    return rec


async def closed_loop(concurrency: int, seconds: float, endpoint: str,
                      send: Callable[[int, int], Awaitable[Reply]], rec: Recorder) -> float:
    """`concurrency` clients each send the next request as soon as the last one is answered; returns wall time."""
    loop = asyncio.get_running_loop()
    stop_at = loop.time() + seconds

    async def worker(w: int) -> None:
        i = 0
        while loop.time() < stop_at:
            t = time.perf_counter()
            reply = await send(w, i)
            rec.record(endpoint, time.perf_counter() - t, reply)
            i += 1

    began = loop.time()
    with watch_gc(rec):  # as in a day: the app and its baselines alike
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return loop.time() - began


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]  # nearest rank
