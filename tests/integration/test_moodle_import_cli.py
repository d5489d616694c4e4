"""`certexam bank import` of a file exported by Moodle (issue 22): --map, --map-file, --skip-unsupported,
--essay-subtype; all or nothing until every question has a module; export and import back (also QTI 3.0)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from certexam import db
from certexam.cli.bank import bank_group
from certexam.models import BankItem
from tests.conftest import make_app

MOODLE = Path(__file__).parents[1] / "unit" / "fixtures" / "moodle" / "moodle-export-iota.xml"


def items_in(app: Flask) -> dict[str, str]:
    with app.app_context():
        return dict(db.session().execute(select(BankItem.external_id, BankItem.module)).all())


def test_import_needs_every_category_mapped_and_unsupported_questions_skipped(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    run = app.test_cli_runner().invoke
    plain = run(bank_group, ["import", str(MOODLE)])
    assert plain.exit_code == 1
    assert "The category 'Iota/Kappa' holds 2 question(s) and is mapped to no module" in plain.output
    assert "Match the duties" in plain.output and "nothing was imported" in plain.output

    mapped = run(bank_group, ["import", str(MOODLE), "--map", "Iota=L1-ETH", "--map", "$course$/top/Mu=L2-BD"])
    assert mapped.exit_code == 1 and "2 error(s); nothing was imported." in mapped.output
    assert items_in(app) == {}

    bad_map = run(bank_group, ["import", str(MOODLE), "--map", "Iota=L9-NO"])
    assert bad_map.exit_code == 1 and "The module 'L9-NO' is not in the catalogue" in bad_map.output

    map_file = tmp_path / "map.txt"
    map_file.write_text("# Moodle course C1\nIota = L1-ETH\nMu = L2-BD\n", encoding="utf-8")
    done = run(bank_group, ["import", str(MOODLE), "--map-file", str(map_file), "--skip-unsupported",
                            "--essay-subtype", "skill"])
    assert done.exit_code == 0, done.output
    assert "Imported: 6 new, 0 changed, 0 unchanged." in done.output
    assert "note: Skipped the question 'Match the duties'" in done.output
    assert items_in(app) == {"L1-ETH-0001": "L1-ETH", "L1-ETH-0002": "L1-ETH", "L1-ETH-0003": "L1-ETH",
                             "L1-ETH-0004": "L1-ETH", "ETH-MOODLE-305": "L1-ETH", "L2-BD-0001": "L2-BD"}

    exported = tmp_path / "back.xml"
    assert run(bank_group, ["export", "--format", "moodle-xml", "-o", str(exported)]).exit_code == 0
    again = run(bank_group, ["import", str(exported)])  # the export names its modules: no mapping needed
    assert again.exit_code == 0 and "Imported: 0 new, 0 changed, 6 unchanged." in again.output
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(BankItem)) == 6

    package = tmp_path / "bank.zip"  # and as a QTI 3.0 content package
    assert run(bank_group, ["export", "--format", "qti", "-o", str(package)]).exit_code == 0
    assert zipfile.is_zipfile(package)
    from_qti = run(bank_group, ["import", str(package)])
    assert from_qti.exit_code == 0 and "Imported: 0 new, 0 changed, 6 unchanged." in from_qti.output
