"""JSON endpoints of the holder bonus under /api/v1/bonus (read only; session sign-in).

Errors are {"error": message}: 401 when not signed in, 403 for another role,
never a redirect to the sign-in page.  Money is integer fen.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from certexam import db
from certexam.bonus import bp
from certexam.models import BonusApplication, Role
from certexam.models.bonus import ApplicationStatus
from certexam.services.bonus import applications as bonus_applications
from certexam.services.bonus import eligibility as bonus_eligibility
from certexam.services.bonus import labels as bonus_labels
from certexam.services.bonus import payouts as bonus_payouts
from certexam.services.platform import clock
from certexam.web import api_roles

MAX_LIMIT = 200




def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _grant(app: BonusApplication) -> dict[str, Any] | None:
    g = app.grant
    if g is None:
        return None
    return {"status": g.status.value, "amount_fen": g.amount_fen, "budget_year": g.budget_year,
            "approved_at": g.approved_at.isoformat()}


def application_json(app: BonusApplication, *, admin: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": app.id, "reference": app.reference, "status": app.status.value,
        "status_text": str(bonus_labels.APPLICATION_STATUS[app.status]),
        "submitted_at": app.submitted_at.isoformat(), "check_note": app.check_note, "review_note": app.review_note,
        "notice_starts_on": _iso(app.notice_starts_on), "notice_ends_on": _iso(app.notice_ends_on),
        "grant": _grant(app),
    }
    if admin:
        out["holder"] = {"id": app.holder.id, "name_zh": app.holder.name_zh, "name_en": app.holder.name_en}
        out["open_objections"] = sum(1 for o in app.objections if o.status.value == "open")
    return out


@bp.get("/api/v1/bonus/eligibility")
@api_roles(Role.CANDIDATE)
def api_eligibility() -> Any:
    """Every condition, met or not, with its facts; the projected day for a job still running."""
    verdict = bonus_eligibility.evaluate(current_user, clock.today())
    body = bonus_eligibility.as_json(verdict)
    for cond in body["conditions"]:
        cond["title"] = str(bonus_labels.CONDITION_TITLES[cond["code"]])
    return jsonify(body)


@bp.get("/api/v1/bonus/applications")
@api_roles(Role.CANDIDATE)
def api_applications() -> Any:
    return jsonify([application_json(a) for a in bonus_applications.applications_of(current_user)])


def _int_arg(name: str, default: int, highest: int) -> int:
    raw = request.args.get(name, "")
    return min(int(raw), highest) if raw.isascii() and raw.isdigit() and len(raw) < 7 else default


@bp.get("/api/v1/bonus/admin/applications")
@api_roles(Role.BONUS_CHECKER, Role.BONUS_APPROVER, Role.PAYMENT_OFFICER, read=(Role.AUDITOR,))
def api_admin_applications() -> Any:
    status = request.args.get("status")
    stmt = select(BonusApplication).order_by(BonusApplication.id.desc())
    if status is not None:
        if status not in {s.value for s in ApplicationStatus}:
            return jsonify(error=_("Unknown status."), field="status"), 400
        stmt = stmt.where(BonusApplication.status == ApplicationStatus(status))
    limit, offset = _int_arg("limit", 50, MAX_LIMIT), _int_arg("offset", 0, 10**6)
    rows = db.session().scalars(stmt.limit(limit).offset(offset))
    return jsonify({"items": [application_json(a, admin=True) for a in rows], "limit": limit, "offset": offset})


def _masked_account(account: str) -> str:
    return "•" * max(len(account) - 4, 0) + account[-4:]


@bp.get("/api/v1/bonus/admin/payouts")
@api_roles(Role.PAYMENT_OFFICER, read=(Role.AUDITOR,))
def api_admin_payouts() -> Any:
    """Payment batches with their lines, and funded bonuses not yet in a batch."""
    batches = [{
        "id": b.id, "created_at": b.created_at.isoformat(), "count": b.count, "total_fen": b.total_fen,
        "bank_reference": b.bank_reference, "paid_on": _iso(b.paid_on),
        "payouts": [{"id": p.id, "reference": p.source_reference, "user_id": p.user_id,
                     "amount_fen": p.amount_fen, "bank_account": _masked_account(p.bank_account),
                     "status": p.funding.status.value} for p in b.payouts],
    } for b in bonus_payouts.batches()]
    ready = [{"grant_id": g.id, "reference": g.application.reference, "user_id": g.user_id,
              "amount_fen": g.amount_fen, "budget_year": g.budget_year} for g in bonus_payouts.ready_grants()]
    return jsonify({"batches": batches, "ready": ready})
