"""The issuance transparency log through the services (issue 20.5): issue and revoke become leaves,
proofs check with the independent script (tools/verify_inclusion.py, run as a subprocess exactly as
docs/verify.md shows), checkpoints are consistent, and a rewritten audit log is reported after the
next anchor. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, select, update

from certexam import db
from certexam.cli.platform import audit_group
from certexam.cli.tlog import tlog_group
from certexam.domain import merkle
from certexam.domain import tlog as T
from certexam.models import AuditEntry, AuditHead, TlogLeaf
from certexam.services.certificates import admin as cert_admin
from certexam.services.platform import audit
from certexam.services.tlog import anchor, check, checkpoints, log, proofs
from tests.integration.test_certificates_service import issue, keyed_app, make_holder

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "verify_inclusion.py"


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, any_db_url: str) -> Iterator[Flask]:
    application = keyed_app(tmp_path, monkeypatch, any_db_url)
    yield application
    application.extensions["certexam.engine"].dispose()



def _leaves(app: Flask) -> list[dict[str, object]]:
    with app.app_context():
        return [T.read_leaf(leaf.data.encode()) for leaf in db.session().scalars(select(TlogLeaf).order_by(TlogLeaf.index))]


def test_issue_and_revoke_become_leaves_with_proofs_the_script_accepts(app: Flask, tmp_path: Path) -> None:
    holder = make_holder(app)
    cert = issue(app, holder)
    with app.app_context():
        cert_admin.change_status(None, cert.number, cert_admin.REVOKE, "test: a revoked certificate")
    leaves = _leaves(app)
    assert leaves[0]["type"] == "key" and leaves[0]["action"] == "init"  # keys init is logged too
    mine = [leaf for leaf in leaves if leaf.get("number") == cert.number]
    assert [(leaf["action"], leaf["status"]) for leaf in mine] == [("issue", "valid"), ("revoke", "revoked")]
    assert all(leaf["kid"] == cert.key_id for leaf in mine)
    with app.app_context():
        doc = proofs.proof_document(cert.number)
        summary = proofs.summary(cert.number)
    assert doc is not None and doc["tree_size"] == len(leaves) and summary.covered
    assert summary.entry == len(leaves) - 1 and summary.tree_size == len(leaves)
    proof_file = tmp_path / "proof.json"
    proof_file.write_text(json.dumps(doc))
    token_file = tmp_path / "token.txt"
    token_file.write_text(cert.token)
    run = subprocess.run([sys.executable, str(SCRIPT), str(proof_file), "--key", str(doc["verifier_key"]),
                          "--token-file", str(token_file)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "checkpoint signature OK" in run.stdout and "revoke" in run.stdout
    # an altered leaf (the revocation made to read "valid") fails the same script
    forged = json.loads(proof_file.read_text())
    forged["entries"][-1]["leaf"] = str(forged["entries"][-1]["leaf"]).replace('"revoked"', '"valid"')
    proof_file.write_text(json.dumps(forged))
    run = subprocess.run([sys.executable, str(SCRIPT), str(proof_file), "--key", str(doc["verifier_key"])],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "FAIL" in run.stdout


def test_log_verify_and_consistency_between_two_checkpoints(app: Flask, tmp_path: Path) -> None:
    holder = make_holder(app)
    issue(app, holder)
    runner = app.test_cli_runner()
    first = runner.invoke(tlog_group, ["checkpoint"])
    assert first.exit_code == 0 and first.output.startswith(checkpoints.DEFAULT_ORIGIN + "\n")
    old = tmp_path / "old-checkpoint.txt"
    old.write_text(first.output)
    issue(app, make_holder(app, "李四", "Li Si"), level=1)
    result = runner.invoke(tlog_group, ["consistency", str(old)])
    assert result.exit_code == 0, result.output
    assert "Consistent" in result.output
    verified = runner.invoke(tlog_group, ["verify"])
    assert verified.exit_code == 0 and "intact" in verified.output, verified.output
    with app.app_context():
        assert check.verify_all().checkpoints == 2
        # the proof the command printed is the RFC's and verifies independently of the service
        old_cp = T.parse_checkpoint(first.output.split("\n\n")[0] + "\n")
        size = log.size(db.session())
        assert merkle.verify_consistency(old_cp.size, size, log.consistency(db.session(), old_cp.size, size),
                                         old_cp.root, log.root(db.session(), size))
        # a leaf altered in the database is found by `log verify`, and the old head no longer proves a prefix
        db.session().execute(update(TlogLeaf).where(TlogLeaf.index == 1)
                             .values(data=TlogLeaf.data + " "))
        db.session().commit()
    broken = runner.invoke(tlog_group, ["verify"])
    assert broken.exit_code == 1 and "leaf 1" in broken.output


def test_a_forged_old_checkpoint_is_refused(app: Flask, tmp_path: Path) -> None:
    issue(app, make_holder(app))
    runner = app.test_cli_runner()
    note = runner.invoke(tlog_group, ["checkpoint"]).output
    forged = tmp_path / "forged.txt"
    forged.write_text(note.replace("\n1\n", "\n2\n", 1) if "\n1\n" in note else note.replace("\n2\n", "\n1\n", 1))
    result = runner.invoke(tlog_group, ["consistency", str(forged)])
    assert result.exit_code != 0 and "signature" in result.output


def _rewrite(app: Flask, how: str) -> None:
    with app.app_context():
        sess = db.session()
        if how == "truncate":  # delete the last entries and move the head back
            head = sess.get(AuditHead, 1)
            assert head is not None and head.seq >= 3
            keep = head.seq - 2
            sess.execute(delete(AuditEntry).where(AuditEntry.seq > keep))
            last = sess.scalar(select(AuditEntry).where(AuditEntry.seq == keep))
            assert last is not None
            head.seq, head.hash = keep, last.hash
        else:  # edit the first entry and recompute the whole unkeyed chain
            from certexam.domain.audit_chain import GENESIS, entry_hash
            prev = GENESIS
            for e in sess.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
                if e.seq == 1:
                    e.after = '{"kid":"rewritten"}'
                e.prev_hash = prev
                e.hash = entry_hash(prev, e.seq, e.at, e.actor_id, e.action, e.object_type, e.object_id,
                                    e.before, e.after)
                prev = e.hash
            head = sess.get(AuditHead, 1)
            assert head is not None
            head.hash = prev
        sess.commit()


@pytest.mark.parametrize("how", ["truncate", "edit"])
def test_a_rewritten_audit_log_is_reported_after_the_next_anchor(app: Flask, how: str) -> None:
    holder = make_holder(app)
    issue(app, holder)
    issue(app, make_holder(app, "李四", "Li Si"))
    runner = app.test_cli_runner()
    assert runner.invoke(tlog_group, ["anchor"]).exit_code == 0
    before = runner.invoke(audit_group, ["verify"])
    assert before.exit_code == 0, before.output
    with app.app_context():
        seq, digest = audit.head(db.session())
    assert f"Head: entry {seq}, hash {digest}" in before.output  # the head the docs say to publish
    _rewrite(app, how)
    chain_only = None
    with app.app_context():
        chain_only = audit.verify(db.session())[1]
    assert chain_only == []  # the chain alone cannot see it: that is the point of anchoring
    assert runner.invoke(tlog_group, ["anchor"]).exit_code == 0  # the next anchor
    after = runner.invoke(audit_group, ["verify"])
    assert after.exit_code == 1, after.output
    assert "NOT intact" in after.output and "anchor in transparency-log entry" in after.output
    with app.app_context():
        _count, problems = anchor.compare(db.session())
    assert problems and problems[0].seq == seq


def test_the_worker_anchors_hourly(app: Flask) -> None:
    from datetime import datetime

    from certexam.services.platform import tasks

    with app.app_context():
        task = tasks.task("anchor_audit")
        periodic = task.s()  # a Huey periodic task instance knows its schedule
        assert periodic.validate_datetime(datetime(2026, 12, 7, 13, 0))  # on the hour
        assert not periodic.validate_datetime(datetime(2026, 12, 7, 13, 30))
        tasks.anchor_audit()  # the task's body: an anchor leaf and a checkpoint covering it
        leaves = db.session().scalars(select(TlogLeaf).where(TlogLeaf.kind == "audit")).all()
        assert len(leaves) == 1
        assert checkpoints.latest().size == log.size(db.session())  # type: ignore[union-attr]
