"""The suite is hermetic: no CERTEXAM_* setting of the caller's shell reaches a test or its subprocesses (issue 19.13)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import TEST_SWITCHES, strip_caller_settings

ROOT = Path(__file__).resolve().parents[2]


def test_no_caller_setting_is_left_in_this_process() -> None:
    leaked = [k for k in os.environ if k.startswith("CERTEXAM_") and k not in TEST_SWITCHES]
    assert leaked == []


def test_strip_removes_settings_and_keeps_switches() -> None:
    env = {"CERTEXAM_DATABASE_URL": "x", "CERTEXAM_SECRET_KEY": "y", "CERTEXAM_FAULT_SHARED_PG": "1", "HOME": "/h"}
    assert strip_caller_settings(env) == ["CERTEXAM_DATABASE_URL", "CERTEXAM_SECRET_KEY"]
    assert env == {"CERTEXAM_FAULT_SHARED_PG": "1", "HOME": "/h"}


def test_a_child_pytest_and_its_cli_subprocesses_never_touch_the_callers_database(tmp_path: Path) -> None:
    """A shell with CERTEXAM_DATABASE_URL (and an instance folder) pointing at a sentinel runs two tests
    that create apps without a DATABASE_URL of their own and start the `certexam` console script: the
    sentinel database is never created and the sentinel folder stays empty."""
    sentinel = tmp_path / "caller" / "real.sqlite3"
    sentinel_instance = tmp_path / "caller-instance"
    sentinel.parent.mkdir()
    sentinel_instance.mkdir()
    env = {**os.environ, "CERTEXAM_DATABASE_URL": f"sqlite:///{sentinel}",
           "CERTEXAM_INSTANCE_PATH": str(sentinel_instance), "CERTEXAM_SECRET_KEY": "caller-secret"}
    tests = ["tests/integration/test_cli.py::test_create_admin",
             "tests/integration/test_cli.py::test_console_script_and_flask_cli_agree"]
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                          "-p", "no:randomly", *tests], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "2 passed" in out.stdout
    assert not sentinel.exists(), "a test wrote into the caller's database"
    assert list(sentinel_instance.iterdir()) == [], "a test wrote into the caller's instance folder"
