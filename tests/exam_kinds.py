"""Test set-up: a paper with every item kind the shipped banks and the test fixtures hold.

The shipped level-1 bank is all single choice; the fixture bank (tests/unit/fixtures/bank/L1-ETH.yaml)
has one item of each type (single choice, multiple response, true/false, an item set with a
single-choice and a true/false child, a short answer); the shipped L2-AI bank adds skill and
proposal questions ("2 of 5" style: here at most 2 of 3).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from flask import Flask
from sqlalchemy import update

from certexam import db
from certexam.bankio import reader
from certexam.domain import blueprint as bp_rules
from certexam.domain.blueprint import Section
from certexam.models import Sitting
from certexam.services.bank import items as bank
from certexam.services.sittings.schedule import blueprint_of
from tests.exam_setup import BANK, open_sitting

FIXTURE = Path(__file__).resolve().parent / "unit" / "fixtures" / "bank" / "L1-ETH.yaml"
SECTIONS = (
    Section("L1-ETH", "single_choice", 1), Section("L1-ETH", "multiple_response", 1),
    Section("L1-ETH", "true_false", 1), Section("L1-ETH", "item_set", 1),
    Section("L1-ETH", "constructed", 1, subtype="short_answer"),
    Section("L2-AI", "constructed", 1, subtype="skill"),
    Section("L2-AI", "constructed", 3, subtype="proposal", answer_at_most=2),
)
ITEM_COUNT = sum(s.count for s in SECTIONS)  # 9 questions; the item set has 2 children


def load_every_kind(app: Flask) -> None:
    """Approve the fixture bank (every type) and the shipped L2-AI bank (skill, proposal)."""
    with app.app_context():
        result = reader.read_files([str(FIXTURE), str(BANK / "level2" / "L2-AI.yaml")])
        assert not result.errors, result.errors[:3]
        # The fixture's single-choice and multiple-response items are enemies; this paper needs both.
        bank.import_items([replace(i, enemies=()) for i in result.items], None, approve=True)


def every_kind_sitting(app: Flask) -> int:
    """A sitting whose open paper P1 draws one question of every kind (see SECTIONS)."""
    sitting_id = open_sitting(app)
    with app.app_context():
        sess = db.session()
        sitting = sess.get(Sitting, sitting_id)
        assert sitting is not None
        spec = blueprint_of(sitting)
        p1 = replace(spec.papers[0], sections=SECTIONS)
        spec = replace(spec, papers=(p1, *spec.papers[1:]))
        sess.execute(update(Sitting).where(Sitting.id == sitting_id)
                     .values(blueprint_spec=json.dumps(bp_rules.to_dict(spec))))
        sess.commit()
    return sitting_id
