"""A results release anchors the audit log's head in the transparency log (issue 20.5), inside the
release's own transaction, and the certificates it issues are logged after it."""

from __future__ import annotations

import json

from flask import Flask
from sqlalchemy import select

from certexam import db
from certexam.models import AuditEntry, Role, Sitting, TlogLeaf
from certexam.services.results import release as results
from certexam.services.tlog import anchor
from tests.factories import candidate, release_by_two, staff
from tests.integration.test_certificates_follow import L1, app, ethics_then  # noqa: F401  (app: the fixture)
from tests.integration.test_results_service import Strategy, enrol, make_sitting, sit


def test_release_anchors_the_audit_head(app: Flask) -> None:  # noqa: F811
    sid = make_sitting(app, L1)
    with app.app_context():
        db.session().get(Sitting, sid).assembly_mode = "fixed"
        db.session().commit()
    admin = staff(app, Role.ADMIN)
    every: Strategy = lambda item: True  # noqa: E731
    holder = candidate(app, locale="en")
    sit(app, holder, enrol(app, holder, sid), ethics_then(5, every))
    with app.app_context():
        assert results.compute(admin, sid) == {"PASS": 1}
        assert release_by_two(admin, sid).certificates == 1
        sess = db.session()
        release_seq = sess.scalar(select(AuditEntry.seq).where(AuditEntry.action == "results.release"))
        leaves = [(leaf.kind, json.loads(leaf.data)) for leaf in sess.scalars(select(TlogLeaf).order_by(TlogLeaf.index))]
        anchored = [fields for kind, fields in leaves if kind == "audit"]
        assert [a["audit_seq"] for a in anchored] == [release_seq]  # the release's own entry is the head anchored
        issued = [i for i, (kind, fields) in enumerate(leaves) if fields.get("action") == "issue"]
        audit_at = next(i for i, (kind, _f) in enumerate(leaves) if kind == "audit")
        assert len(issued) == 1 and issued[0] > audit_at
        assert anchor.compare(sess) == (1, [])
