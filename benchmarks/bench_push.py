"""CPU of one autosave with and without N candidates waiting on the push channel (issue 18.6).

Run from a source tree:  .venv/bin/python benchmarks/bench_push.py [--waiters 200] [--saves 2000] [--rounds 4]

In one process on SQLite, through the whole Flask stack (the test client, as
bench_hot_auth.py): rounds of autosaves alternate between no push request
waiting (the baseline) and N candidates each holding a long poll of
/api/v1/attempts/<id>/push in a thread of their own, as gunicorn's gthread
workers would hold them, with the process's watcher scanning once a second.
CPU is the whole process's (every thread: the waiters, the watcher and the
saving thread), divided by the saves; wall time per save is reported beside it.
Between rounds the waiters are released by setting their wake-up events (they
then stop), so that a baseline round has nobody waiting. One JSON line per
round; the medians and their ratio at the end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path.cwd()))  # the tree it is run from, not necessarily this file's

from tests.conftest import make_app  # noqa: E402
from tests.exam_setup import enrol, load_bank, open_sitting  # noqa: E402
from tests.factories import candidate  # noqa: E402


def _setup(tmp: Path, waiters: int) -> dict[str, Any]:
    from certexam.services.accounts import api_tokens

    app = make_app(tmp, RATELIMIT_ENABLED=False, PUSH_MAX_WAITERS=waiters + 10)
    load_bank(app)
    sitting = open_sitting(app)
    people = []
    for _ in range(waiters + 1):
        user = candidate(app)
        reg = enrol(app, user, sitting)
        with app.app_context():
            headers = {"Authorization": f"Bearer {api_tokens.create(user, 'bench')}"}
        started = app.test_client().post(f"/api/v1/registrations/{reg}/papers/P1/start", headers=headers).get_json()
        people.append((headers, started["attempt_id"], started["device"]))
    return {"app": app, "saver": people[0], "waiters": people[1:]}


class Waiters:
    """N threads, each holding the push long poll of its own attempt until stopped."""

    def __init__(self, site: dict[str, Any]) -> None:
        self.site, self.stop, self.threads, self.polls = site, threading.Event(), [], 0

    def _loop(self, headers: dict[str, str], attempt: int) -> None:
        client = self.site["app"].test_client()
        url = f"/api/v1/attempts/{attempt}/push"
        marker = client.get(url, headers=headers).get_json()["marker"]
        while not self.stop.is_set():
            resp = client.get(f"{url}?since={marker}", headers=headers)
            if resp.status_code != 200:
                raise SystemExit(f"push: {resp.status_code} {resp.get_data(as_text=True)[:200]}")
            marker = resp.get_json()["marker"]
            self.polls += 1

    def start(self) -> None:
        from certexam.services.attempts import push

        self.stop.clear()
        self.threads = [threading.Thread(target=self._loop, args=(h, a), daemon=True) for h, a, _d in self.site["waiters"]]
        for t in self.threads:
            t.start()
        watcher = push.watcher(self.site["app"])
        while watcher.count < len(self.threads):  # every one waiting before the round starts
            time.sleep(0.05)
        time.sleep(1.5)  # the steady state, not the threads' start: at least one watcher scan

    def end(self) -> None:
        from certexam.services.attempts import push

        self.stop.set()
        watcher = push.watcher(self.site["app"])
        while any(t.is_alive() for t in self.threads):
            with watcher.lock:  # wake them all (as a proctor's action would): they see `stop` and end
                for events in watcher.waiting.values():
                    for e in events:
                        e.set()
            time.sleep(0.05)


def _round(site: dict[str, Any], saves: int, seq0: int) -> tuple[float, float]:
    headers, attempt, device = site["saver"]
    client = site["app"].test_client()
    url = f"/api/v1/attempts/{attempt}/answers/1"
    began, wall = time.process_time(), time.perf_counter()
    for i in range(saves):
        resp = client.put(url, json={"seq": seq0 + i, "device": device, "answer": "ABCD"[i % 4]}, headers=headers)
        if resp.status_code != 200:
            raise SystemExit(f"save: {resp.status_code} {resp.get_data(as_text=True)[:200]}")
    return (time.process_time() - began) / saves * 1e6, (time.perf_counter() - wall) / saves * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--waiters", type=int, default=200)
    ap.add_argument("--saves", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = _setup(Path(tmp), args.waiters)
        waiters = Waiters(site)
        _round(site, 200, 1)  # warm-up: statements built, caches filled
        seq, found = 1000, {"baseline": [], "waiting": []}
        wall: dict[str, list[float]] = {"baseline": [], "waiting": []}
        for rnd in range(args.rounds):
            for mode in ("baseline", "waiting"):
                if mode == "waiting":
                    waiters.start()
                cpu, per = _round(site, args.saves, seq)
                scans = site["app"].extensions.get("certexam.push").scans if mode == "waiting" else None
                if mode == "waiting":
                    waiters.end()
                seq += args.saves
                found[mode].append(cpu)
                wall[mode].append(per)
                print(json.dumps({"round": rnd + 1, "mode": mode, "waiters": args.waiters if mode == "waiting" else 0,
                                  "cpu_us_per_save": round(cpu, 1), "wall_us_per_save": round(per, 1),
                                  "watcher_scans_so_far": scans}), flush=True)
        base, push = statistics.median(found["baseline"]), statistics.median(found["waiting"])
        print(json.dumps({"waiters": args.waiters, "median_cpu_us_per_save": {"baseline": round(base, 1),
                                                                              "waiting": round(push, 1)},
                          "median_wall_us_per_save": {k: round(statistics.median(v), 1) for k, v in wall.items()},
                          "ratio_waiting_to_baseline": round(push / base, 3),
                          "long_polls_answered": waiters.polls}), flush=True)
        site["app"].extensions["certexam.engine"].dispose()


if __name__ == "__main__":
    main()
