"""Benchmark: one employer's bulk verification at the line limit (issue 23).

Issues N certificates (register rows and tokens, no PDFs), then times what one upload and its
downloads cost: verify_staff_list over N lines (a register read, a signature check and a name check
each, one transaction), the CSV report, and the signed PDF report (layout, then the PAdES signature).
SQLite in a temporary folder.

    .venv/bin/python benchmarks/bench_employer_bulk.py [--lines 2000]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from certexam import db  # noqa: E402
from certexam.crypto.keystore import PASSPHRASE_ENV  # noqa: E402
from certexam.models import Role, User  # noqa: E402
from certexam.services.certificates import keys  # noqa: E402
from certexam.services.certificates.receipt import sign_document  # noqa: E402
from certexam.services.employers import bulk, history, report  # noqa: E402
from certexam.services.platform import clock  # noqa: E402
from tests.conftest import make_app  # noqa: E402
from tests.factories import staff  # noqa: E402
from tests.integration.test_certificates_service import issue, make_holder  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=2000)
    args = parser.parse_args()
    os.environ[PASSPHRASE_ENV] = "benchmark passphrase, not a secret"
    app = make_app(Path(tempfile.mkdtemp()))
    with app.app_context():
        keys.init_keys(None, clock.now())
        today = clock.today()
    rows = ["name,certificate number"]
    for i in range(args.lines):
        cert = issue(app, make_holder(app, f"员工{i}", f"STAFF Member {i}", name_family="STAFF"), issued_on=today)
        rows.append(f"员工{i},{cert.number}")
    employer = staff(app, Role.EMPLOYER)
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"{args.lines} lines")
    with app.app_context():
        actor = db.session().get(User, employer.id)
        started = time.perf_counter()
        run_id = bulk.verify_staff_list(actor, "staff.csv", "\n".join(rows).encode())
        print(f"verify_staff_list: {time.perf_counter() - started:.2f} s")
        run = history.run_of(actor, run_id)
        started = time.perf_counter()
        report.report_csv(run)
        print(f"CSV report: {time.perf_counter() - started:.2f} s")
        started = time.perf_counter()
        unsigned = report.render_report(run, "https://example.invalid/root.pem")
        laid_out = time.perf_counter()
        signed = sign_document(unsigned, report.REPORT_SIGN_REASON)
        print(f"PDF report: layout {laid_out - started:.2f} s, signature {time.perf_counter() - laid_out:.2f} s, "
              f"{len(signed) // 1024} kB")
    app.extensions["certexam.engine"].dispose()


if __name__ == "__main__":
    main()
