"""CPU of one autosave in process, authenticated by a session cookie and by a bearer token (issue 19.2).

Run from a source tree:  .venv/bin/python benchmarks/bench_hot_auth.py [--saves 2000] [--rounds 5]

Issue 19 put three hooks before every request (the body limit, the control-character
filter, the session timeouts) and the session's epoch into the autosave's own
statement. This measures what an autosave costs the server process (CPU, not wall
time: a shared machine's other load does not count) through the whole Flask stack
on SQLite, so the same script run in a tree before and after the change compares
them. One JSON line per round and way of signing in; the medians at the end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path.cwd()))  # the tree it is run from, not necessarily this file's

from tests.conftest import csrf_from, make_app  # noqa: E402
from tests.exam_setup import enrol, load_bank, open_sitting  # noqa: E402
from tests.factories import candidate, sign_in  # noqa: E402


def _setup(tmp: Path) -> dict[str, Any]:
    from certexam.services.accounts import api_tokens

    app = make_app(tmp, RATELIMIT_ENABLED=False)
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
        out[way] = (client, headers, started["attempt_id"], started["device"])
    return out


def _round(site: dict[str, Any], way: str, saves: int, seq0: int) -> float:
    client, headers, attempt, device = site[way]
    url = f"/api/v1/attempts/{attempt}/answers/1"
    began = time.process_time()
    for i in range(saves):
        resp = client.put(url, json={"seq": seq0 + i, "device": device, "answer": "ABCD"[i % 4]}, headers=headers)
        if resp.status_code != 200:
            raise SystemExit(f"{way}: {resp.status_code} {resp.get_data(as_text=True)[:200]}")
    return (time.process_time() - began) / saves * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--saves", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--label", default=str(Path.cwd()))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = _setup(Path(tmp))
        _round(site, "session", 200, 1)  # warm-up: statements built, caches filled
        _round(site, "bearer", 200, 1)
        seq, found = 1000, {"session": [], "bearer": []}
        for rnd in range(args.rounds):
            for way in ("session", "bearer"):
                us = _round(site, way, args.saves, seq)
                found[way].append(us)
                print(json.dumps({"label": args.label, "round": rnd + 1, "way": way, "cpu_us_per_save": round(us, 1)}),
                      flush=True)
            seq += args.saves
        print(json.dumps({"label": args.label, "median_cpu_us_per_save": {
            w: round(statistics.median(v), 1) for w, v in found.items()}}), flush=True)
        site["app"].extensions["certexam.engine"].dispose()


if __name__ == "__main__":
    main()
