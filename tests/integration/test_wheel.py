"""The wheel runs without the checkout (issue 17: "a real package").

The test builds the sdist and the wheel from a copy of the checkout's files, installs the wheel
alone into a fresh virtualenv under tmp_path, and from a directory outside the checkout runs
`certexam init-db`, `certexam demo` and one request against create_app(). Templates, static files,
migrations, the shipped banks and the compiled catalogs must all come from the installed package.

It stays offline: the build runs without isolation (its requirements are test extras), and the new
virtualenv borrows this one's dependencies through a .pth file instead of downloading them. Lines
of a .pth file only extend sys.path (the .pth files in that folder are not run), so this
virtualenv's editable-install finder cannot shadow the installed wheel; the test checks it does not.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

# Run in the new virtualenv, from a directory outside the checkout; prints what the test checks.
PROBE = """
import json, sys
from pathlib import Path
import certexam
from certexam import create_app, migrate
from certexam.cli import demo_exams

app = create_app()
client = app.test_client()
pages = {name: client.get(path, headers={"Accept-Language": lang}) for name, path, lang in [
    ("en", "/", "en"), ("zh", "/", "zh-CN"), ("css", "/static/app.css", "en"), ("favicon", "/favicon.ico", "en")]}
print(json.dumps({
    "package": certexam.__file__,
    "sys_path": sys.path,
    "instance": app.instance_path,
    "template": app.jinja_env.get_template("base.html").filename,
    "static": app.static_folder,
    "migrations": migrate.alembic_config("sqlite://").get_main_option("script_location"),
    "banks": str(demo_exams.BANK_DIR),
    "status": {name: resp.status_code for name, resp in pages.items()},
    "favicon": pages["favicon"].headers.get("Location"),
    "en": pages["en"].get_data(as_text=True),
    "zh": pages["zh"].get_data(as_text=True),
}))
"""


def clean_env() -> dict[str, str]:
    """The caller's environment without anything that could point certexam or Python elsewhere."""
    drop = ("CERTEXAM_", "FLASK_", "PYTHON", "PIP_", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["PIP_CONFIG_FILE"] = os.devnull  # no index or find-links from this machine's pip.conf
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=clean_env(), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, f"{args}\n{proc.stdout}\n{proc.stderr}"
    return proc


def checkout_files() -> list[str]:
    """The files a fresh clone would have, plus new files not yet committed (not the ignored ones)."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=ROOT, capture_output=True, check=True).stdout.decode()
    return [name for name in out.split("\0") if name and ((ROOT / name).is_symlink() or (ROOT / name).is_file())]


def copy_checkout(dest: Path) -> list[str]:
    """Copy the checkout's files (no .venv, no egg-info, no compiled catalogs) to dest."""
    names = checkout_files()
    for name in names:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target, follow_symlinks=False)
    return names


def build_wheel(tmp_path: Path) -> tuple[Path, list[str]]:
    src = tmp_path / "src"
    names = copy_checkout(src)
    assert not list(src.glob("certexam/translations/*/LC_MESSAGES/*.mo"))  # the build must make them
    built = run(sys.executable, "-m", "build", "--no-isolation", "--outdir", tmp_path / "dist", src, cwd=src)
    out = built.stdout + built.stderr
    assert "warning" not in out.lower(), out  # our own packaging warns about nothing
    (wheel,) = (tmp_path / "dist").glob("certexam-*.whl")
    return wheel, names


def make_venv(tmp_path: Path, wheel: Path) -> Path:
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel,
        cwd=tmp_path)
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                    cwd=tmp_path).stdout.strip())
    ours = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "zz_dependencies_from_dev_venv.pth").write_text("".join(f"{p}\n" for p in ours))
    return venv


def inside(path: str, folder: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))


def test_wheel_installs_into_a_fresh_virtualenv_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    wheel, names = build_wheel(tmp_path)
    shipped = set(zipfile.ZipFile(wheel).namelist())
    package_files = {n for n in names if n.startswith("certexam/") and "__pycache__" not in n}
    assert package_files - shipped == set()  # every file of the package, data included
    locales = {p.parent.parent.name for p in (ROOT / "certexam" / "translations").glob("*/LC_MESSAGES/*.po")}
    assert {f"certexam/translations/{loc}/LC_MESSAGES/messages.mo" for loc in locales} <= shipped

    venv = make_venv(tmp_path, wheel)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run(venv / "bin" / "certexam", "init-db", cwd=elsewhere)
    instance = venv / "var" / "certexam-instance"  # Flask's default for an installed package
    assert (instance / "certexam.sqlite3").is_file()
    demo = run(venv / "bin" / "certexam", "demo", cwd=elsewhere).stdout
    assert "Demo sign-ins" in demo and "admin@demo.certexam" in demo and "certificate SHMFTPP-" in demo
    assert list((instance / "certificates").glob("*.pdf"))

    probe = json.loads(run(venv / "bin" / "python", "-c", PROBE, cwd=elsewhere).stdout)
    assert inside(probe["package"], venv), probe["package"]
    # Nothing of the checkout is importable, apart from the dependencies borrowed from its virtualenv.
    assert [p for p in probe["sys_path"] if p and inside(p, ROOT) and not inside(p, Path(sys.prefix))] == []
    assert inside(probe["instance"], instance)
    for key in ("template", "static", "migrations", "banks"):
        assert inside(probe[key], venv), (key, probe[key])
    assert probe["status"] == {"en": 200, "zh": 200, "css": 200, "favicon": 301}
    assert probe["favicon"].endswith("/static/favicon.svg")
    # The compiled catalogs are used: the same page in English and in simplified Chinese.
    with (ROOT / "certexam/translations/zh_Hans/LC_MESSAGES/messages.po").open("rb") as fh:
        skip_zh = read_po(fh).get("Skip to content").string
    assert "Skip to content" in probe["en"] and skip_zh and skip_zh in probe["zh"]
