"""CPU of one push poll in process, next to a bare endpoint and the clock resync (issue 18.6).

Run from a source tree:  .venv/bin/python benchmarks/bench_push_poll.py [--polls 2000] [--rounds 5] [--profile]

Exam day with the push channel open: almost every poll is answered "nothing new"
after its bounded wait. This measures that poll's cost to the server process
through the whole Flask stack on SQLite (the test client, as bench_hot_auth.py),
the wait set to 0 so that only the work is counted, signed in by a session cookie
and by a bearer token. CPU time (time.process_time, every thread of the process,
the watcher's scans included), not wall time: other load on a shared machine does
not count, and each figure is also given as a ratio to a bare endpoint of the same
app (`/bench/hello`: the app's before- and after-request hooks and nothing else)
measured in the same round. `--profile` prints cProfile's top functions of the
session poll. Run it in a tree before and after a change to compare them.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path.cwd()))  # the tree it is run from, not necessarily this file's

from tests.conftest import csrf_from, make_app  # noqa: E402
from tests.exam_setup import enrol, load_bank, open_sitting  # noqa: E402
from tests.factories import candidate, sign_in  # noqa: E402


def _setup(tmp: Path) -> dict[str, Any]:
    from certexam.services.accounts import api_tokens

    app = make_app(tmp, RATELIMIT_ENABLED=False, PUSH_WAIT_SECONDS=0)
    app.add_url_rule("/bench/hello", "bench_hello", lambda: "hello")
    load_bank(app)
    sitting = open_sitting(app)
    out: dict[str, Any] = {"app": app}
    for way in ("session", "bearer"):
        user = candidate(app)
        reg = enrol(app, user, sitting)
        client = app.test_client()
        if way == "session":
            sign_in(client, user.email)
            headers = {"X-CSRFToken": csrf_from(client.get("/account").get_data(as_text=True))}
        else:
            with app.app_context():
                headers = {"Authorization": f"Bearer {api_tokens.create(user, 'bench')}"}
        started = client.post(f"/api/v1/registrations/{reg}/papers/P1/start", headers=headers).get_json()
        aid = started["attempt_id"]
        marker = client.get(f"/api/v1/attempts/{aid}/push", headers=headers).get_json()["marker"]
        out[way] = (client, headers, aid, marker)
    return out


def _calls(site: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    def get(way: str, path: str) -> Callable[[], Any]:
        client, headers, aid, marker = site[way]
        url = path.format(aid=aid, marker=marker)

        def call() -> Any:
            resp = client.get(url, headers=headers)
            if resp.status_code != 200:
                raise SystemExit(f"{url}: {resp.status_code} {resp.get_data(as_text=True)[:200]}")
            return resp
        return call

    return {"hello": get("session", "/bench/hello"),
            "state_session": get("session", "/api/v1/attempts/{aid}"),
            "push_session": get("session", "/api/v1/attempts/{aid}/push?since={marker}"),
            "push_bearer": get("bearer", "/api/v1/attempts/{aid}/push?since={marker}")}


def _cpu_us(call: Callable[[], Any], n: int) -> float:
    began = time.process_time()
    for _ in range(n):
        call()
    return (time.process_time() - began) / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--polls", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = _setup(Path(tmp))
        calls = _calls(site)
        for call in calls.values():  # warm-up: statements built, caches filled
            _cpu_us(call, 200)
        found: dict[str, list[float]] = {name: [] for name in calls}
        for rnd in range(args.rounds):
            row = {name: _cpu_us(call, args.polls) for name, call in calls.items()}
            for name, us in row.items():
                found[name].append(us)
            print(json.dumps({"round": rnd + 1, "cpu_us": {k: round(v, 1) for k, v in row.items()},
                              "per_hello": {k: round(v / row["hello"], 2) for k, v in row.items()}}), flush=True)
        med = {k: statistics.median(v) for k, v in found.items()}
        print(json.dumps({"median_cpu_us": {k: round(v, 1) for k, v in med.items()},
                          "median_per_hello": {k: round(statistics.median(
                              a / h for a, h in zip(v, found["hello"], strict=True)), 2) for k, v in found.items()}}),
              flush=True)
        if args.profile:
            prof = cProfile.Profile()
            prof.runcall(_cpu_us, calls["push_session"], args.polls)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
        site["app"].extensions["certexam.engine"].dispose()


if __name__ == "__main__":
    main()
