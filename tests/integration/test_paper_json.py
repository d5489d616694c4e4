"""The paper the API sends, joined from cached per-item parts, is exactly the paper built item by item."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from certexam import db
from certexam.bankio import reader
from certexam.models import Attempt, BankItemVersion
from certexam.services.attempts import paper_json, paper_view
from certexam.services.bank import item_cache
from certexam.services.bank import items as bank
from tests.conftest import csrf_from, make_app
from tests.exam_setup import enrol
from tests.factories import candidate, sign_in
from tests.integration.test_attempt_api import _h, _start, exam  # noqa: F401  (fixture used by name)

FIXTURES = Path(__file__).resolve().parents[1] / "unit" / "fixtures" / "bank"


def _built_item_by_item(app: Any, aid: int, attempt: Any = None) -> dict[str, Any]:
    """The API's paper as it was built before the parts cache, from paper_view alone."""
    with app.app_context():
        sess = db.session()
        attempt = attempt or sess.get(Attempt, aid)
        items = paper_view.shown_items(sess, attempt)
        saved = paper_view.answers(sess, attempt)
        doc = {"attempt_id": aid, "items": [
            {"slot": s.slot, "item": paper_view.item_json(s.item),
             "children": [{"slot": cs, "item": paper_view.item_json(c)} for cs, c in s.children]} for s in items],
            "answers": {k: {"answer": a, "flagged": f} for k, (a, f) in saved.items()}}
    return json.loads(json.dumps(doc))  # tuples become lists, as on the wire


def test_the_joined_paper_is_the_paper(exam) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    app, client, csrf, reg_id, _user = exam
    paper_json.clear()
    aid, device, paper = _start(client, csrf, reg_id)
    assert paper == _built_item_by_item(app, aid)
    first = paper["items"][0]["item"]
    client.put(f"/api/v1/attempts/{aid}/answers/1", json={"seq": 1, "answer": first["options"][1]["key"],
                                                        "flagged": True, "device": device}, headers=_h(csrf))
    again = client.get(f"/api/v1/attempts/{aid}/paper")
    assert again.mimetype == "application/json"
    assert again.get_json() == _built_item_by_item(app, aid) and again.get_json()["answers"]["1"]["flagged"]

    # Another candidate: the same cached parts, joined in that candidate's own option orders.
    other = candidate(app)
    c2 = app.test_client()
    sign_in(c2, other.email)
    t2 = csrf_from(c2.get("/").get_data(as_text=True))
    with app.app_context():
        from certexam.models import Registration
        sitting_id = db.session().get(Registration, reg_id).sitting_id
    aid2, _d2, paper2 = _start(c2, t2, enrol(app, other, sitting_id))
    assert paper2 == _built_item_by_item(app, aid2)
    orders = [[o["key"] for o in i["item"].get("options", [])] for p in (paper, paper2) for i in p["items"]]
    assert len({tuple(o) for o in orders}) > 1  # orders differ somewhere, so joining follows each form


def test_item_sets_join_each_question_in_its_own_order(tmp_path: Path) -> None:
    """The shipped bank has no item sets; the fixture bank has one, with true/false and choice items."""
    app = make_app(tmp_path)
    with app.app_context():
        read = reader.read_files([str(FIXTURES / "L1-ETH.yaml")])
        assert not read.errors
        bank.import_items(read.items, None, approve=True)
        sess = db.session()
        ids = list(sess.scalars(select(BankItemVersion.id)))
        items = item_cache.items_by_version(sess, ids)
        form = [{"v": v, "x": it.id, "s": "S", "t": it.type, "o": list(reversed(it.option_keys())),
                 "c": [list(reversed(c.option_keys())) for c in it.children], "ct": [c.type for c in it.children]}
                for v, it in sorted(items.items())]
    attempt = SimpleNamespace(id=0, form=json.dumps(form))  # what document() reads of an attempt
    with app.app_context():
        joined = json.loads(paper_json.document(db.session(), attempt))  # type: ignore[arg-type]
    assert joined == _built_item_by_item(app, 0, attempt)
    sets = [i for i in joined["items"] if i["children"]]
    assert sets and all(c["slot"].startswith(s["slot"] + ".") for s in sets for c in s["children"])
    every = [i["item"] for i in joined["items"]] + [c["item"] for s in sets for c in s["children"]]
    assert not any({"answer", "explanation", "rubric"} & set(i) for i in every)


def test_a_started_form_keeps_each_versions_hash_and_its_paper_needs_no_bank_query(exam) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The form records each version's content hash ("h"); with the parts cached, the paper is joined
    without reading the bank, and with nothing cached (a fresh worker) it reads the bank and is the same."""
    from tests.integration.test_hot_path_auth import _statements

    app, client, csrf, reg_id, _user = exam
    aid, _device, paper = _start(client, csrf, reg_id)
    with app.app_context():
        sess = db.session()
        form = json.loads(sess.get(Attempt, aid).form)
        hashes = dict(sess.execute(select(BankItemVersion.id, BankItemVersion.content_hash)
                                   .where(BankItemVersion.id.in_([e["v"] for e in form]))).all())
    assert len(form) == 45 and all(e["h"] == hashes[e["v"]] for e in form)

    engine = app.extensions["certexam.engine"]
    with _statements(engine) as seen:
        warm = client.get(f"/api/v1/attempts/{aid}/paper").get_json()
    assert warm == paper and seen and not any("BANK_ITEM_VERSION" in s for s in seen), seen

    paper_json.clear()
    item_cache.clear()
    with _statements(engine) as seen:
        cold = client.get(f"/api/v1/attempts/{aid}/paper").get_json()
    assert cold == paper == _built_item_by_item(app, aid)
    assert any("BANK_ITEM_VERSION" in s for s in seen)


def test_a_form_drawn_before_hashes_were_kept_still_gives_its_paper(exam) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Attempts begun before forms kept "h" (or with a hash no longer cached) read their versions."""
    app, client, csrf, reg_id, _user = exam
    aid, _device, paper = _start(client, csrf, reg_id)
    with app.app_context():
        sess = db.session()
        attempt = sess.get(Attempt, aid)
        form = json.loads(attempt.form)
        for n, entry in enumerate(form):
            if n % 2:
                del entry["h"]
        attempt.form = json.dumps(form)
        sess.commit()
    assert client.get(f"/api/v1/attempts/{aid}/paper").get_json() == paper == _built_item_by_item(app, aid)
