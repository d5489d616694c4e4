"""Certificates: public verification, JWK set, holder downloads and administration."""

from __future__ import annotations

import io
import json
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from certexam import confirmation
from certexam.certificates import bp, page_cache
from certexam.certificates.forms import (
    DIRECTION_LABELS,
    LEVEL_LABELS,
    NUMBER_MAX,
    STATUS_LABELS,
    VERDICT_LABELS,
    WITHDRAWN_LABEL,
    LookupForm,
    NameCheckForm,
    ReceiptForm,
    ReissueForm,
    StatusForm,
)
from certexam.crypto import x509ca
from certexam.crypto.keystore import KeyStoreError
from certexam.domain.verdict import CertStatus, VerdictCode
from certexam.errors import UserError
from certexam.extensions import limiter
from certexam.models import Certificate, Role
from certexam.services.certificates import admin as cert_admin
from certexam.services.certificates import issue as certificates
from certexam.services.certificates import keys, page_stamp
from certexam.services.certificates import pdf as cert_pdf
from certexam.services.certificates import receipt as cert_receipt
from certexam.services.certificates import verify as cert_verify
from certexam.services.platform import jobs
from certexam.services.tlog import proofs as tlog_proofs
from certexam.tlog.labels import LOGGED_LATE_LABEL
from certexam.web import page_number, roles_required

# Security policy, not programme rules; each can be set in the app config.
VERIFY_RATE_LIMIT = "60/minute"  # per client address, over every verification route
NAME_CHECK_RATE_LIMIT = "10/minute"  # typed names and surnames: slows guessing a masked name
NUMBER_LOOKUP_RATE_LIMIT = "20/hour"  # lookups of one certificate number, from every address together
RECEIPT_RATE_LIMIT = "10/minute"  # each receipt is a signed PDF (~0.5 s of CPU)
JWKS_MAX_AGE = 300  # seconds verifiers may cache the key set; a compromise reaches them this late at most
NOT_FOUND_CODES = frozenset({VerdictCode.INVALID_TOKEN, VerdictCode.UNKNOWN})


def _limit(name: str, default: str) -> Any:
    return lambda: current_app.config.get(name, default)


_verify_limit = _limit("CERT_VERIFY_RATE_LIMIT", VERIFY_RATE_LIMIT)
_name_limit = _limit("CERT_NAME_CHECK_RATE_LIMIT", NAME_CHECK_RATE_LIMIT)
_receipt_limit = _limit("CERT_RECEIPT_RATE_LIMIT", RECEIPT_RATE_LIMIT)
_number_limit = _limit("CERT_NUMBER_LOOKUP_RATE_LIMIT", NUMBER_LOOKUP_RATE_LIMIT)

# One bucket per client over every verification route (issue 19.3: /verify and /v/<token> each had
# their own, so a client had twice the limit), and one per certificate number, whoever asks (issue
# 19.11: numbers are sequential, so guessing who holds one is spread over many addresses).
_verify_bucket = limiter.shared_limit(_verify_limit, scope="verify")
_name_bucket = limiter.shared_limit(_name_limit, scope="verify-name", methods=["POST"])


def _number_key() -> str:
    raw = (request.form.get("number") or request.args.get("number") or "").strip().upper()[:NUMBER_MAX]
    return f"number:{raw}"


_number_bucket = limiter.shared_limit(_number_limit, scope="verify-number", key_func=_number_key, methods=["POST"])


def _no_store(resp: Response) -> Response:
    # A status can change at any moment (revocation must show at once): never cache a verdict.
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Robots-Tag"] = "noindex"
    return resp


def _presentation(outcome: cert_verify.VerifyOutcome) -> dict[str, Any]:
    tone, headline, explanation = VERDICT_LABELS[outcome.code]
    if outcome.verdict.detail == tlog_proofs.LOGGED_LATE:  # issue 20.5: BACKDATED by the log rule
        tone, headline, explanation = LOGGED_LATE_LABEL
    since = outcome.verdict.since
    return {
        "outcome": outcome, "tone": tone, "headline": headline,
        "explanation": explanation % {"date": format_date(since, "long") if since else ""},
        "level_label": LEVEL_LABELS.get(outcome.level or 0, ""),
        "direction_label": DIRECTION_LABELS.get(outcome.direction or "", ""),
        "show_details": outcome.level is not None,
        # issue 20.5: "recorded in the public log as entry N of M", with the proof's link
        "tlog": tlog_proofs.summary(outcome.number) if outcome.number and outcome.level is not None else None,
    }


def _render_outcome(outcome: cert_verify.VerifyOutcome, name_form: Any, receipt_form: ReceiptForm,
                    name_action: str) -> Response:
    status = 404 if outcome.code in NOT_FOUND_CODES else 200
    html = render_template("certificates/verify.html", name_form=name_form, receipt_form=receipt_form,
                           name_action=name_action, **_presentation(outcome))
    return _no_store(make_response(html, status))


@bp.route("/v/<token>", methods=["GET", "POST"])
@bp.route("/V/<token>", methods=["GET", "POST"])  # the QR carries the URL in upper case (crypto/cose.py)
@_verify_bucket
@_name_bucket
def verify(token: str) -> Any:
    """The page the QR code opens: verdict, signature check, masked holder."""
    stamp = None
    if page_cache.applies() and (number := page_stamp.number_of(token)) is not None:
        # Issue 20.8: the stamp is read before the page, so a change in between renders again next time.
        stamp = page_stamp.stamp(number)
        if (html := page_cache.get(stamp)) is not None:
            return _no_store(make_response(html, 200))
    form = NameCheckForm()
    typed = (form.name.data or "") if form.validate_on_submit() else None
    outcome = cert_verify.check_token(token, typed)
    receipt = ReceiptForm(formdata=None, token=token, name=typed or "")
    resp = _render_outcome(outcome, form, receipt, url_for("certificates.verify", token=token))
    if stamp is not None and resp.status_code == 200 and page_cache.applies():
        page_cache.put(stamp, resp.get_data(as_text=True))
    return resp


@bp.route("/verify", methods=["GET", "POST"])
@_verify_bucket
@_name_bucket
@_number_bucket
def lookup() -> Any:
    """Find a certificate by number and holder surname (no QR needed)."""
    form = LookupForm()
    if request.method == "GET" and request.args.get("number"):
        form.number.data = request.args["number"][:40]
    if form.validate_on_submit():
        outcome = cert_verify.lookup(form.number.data or "", form.surname.data or "", form.name.data or None)
        if outcome is not None:
            receipt = ReceiptForm(formdata=None, number=form.number.data, surname=form.surname.data,
                                  name=form.name.data or "")
            return _render_outcome(outcome, form, receipt, url_for("certificates.lookup"))
        flash(_("No certificate matches this number and surname. Check both and try again."), "error")
    return _no_store(make_response(render_template("certificates/lookup.html", form=form)))


@bp.route("/verify/receipt", methods=["POST"])
@_verify_bucket
@_number_bucket
@limiter.limit(_receipt_limit)
def receipt() -> Any:
    """A signed, timestamped PDF of one verification, for the verifier's file."""
    form = ReceiptForm()
    if not form.validate_on_submit():
        abort(400)
    name = form.name.data or None
    if form.token.data:
        outcome = cert_verify.check_token(form.token.data, name)
    else:
        found = cert_verify.lookup(form.number.data or "", form.surname.data or "", name)
        if found is None:
            abort(404)
        outcome = found
    try:
        receipt_id, pdf = cert_receipt.receipt_pdf(outcome, url_for("certificates.root_pem", _external=True))
    except KeyStoreError:
        current_app.logger.exception("cannot sign a verification receipt")
        abort(503)
    resp = send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"verification-receipt-{receipt_id}.pdf", max_age=0)
    return _no_store(resp)


@bp.route("/.well-known/jwks.json")
def jwks() -> Any:
    """The body's public token keys (RFC 7517 JWK set) with key ids and validity dates."""
    resp = Response(json.dumps(keys.published_jwks(), sort_keys=True), mimetype="application/jwk-set+json")
    resp.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE}"
    resp.headers["Access-Control-Allow-Origin"] = "*"  # any verifier's page may fetch the public keys
    return resp


@bp.route("/.well-known/certexam-root.pem")
def root_pem() -> Any:
    """The root CA certificate that PDF signatures chain to."""
    root = keys.root_certificate()
    if root is None:
        abort(404)
    resp = Response(x509ca.cert_pem(root), mimetype="application/x-pem-file")
    resp.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE}"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


# -- the holder --------------------------------------------------------------------------------
def _pdf_response(cert: Certificate) -> Any:
    try:
        data = cert_pdf.pdf_bytes(cert)
    except KeyStoreError:  # the stored file is gone and the signing keys are unavailable
        current_app.logger.exception("cannot produce the PDF of %s", cert.number)
        abort(503)
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                     download_name=f"{cert.number}.pdf", max_age=0)


@bp.route("/certificates")
@roles_required(Role.CANDIDATE)
def mine() -> Any:
    """The signed-in holder's certificates."""
    rows = certificates.holder_certificates(current_user.id)
    return render_template("certificates/mine.html", certs=rows, level_labels=LEVEL_LABELS,
                           direction_labels=DIRECTION_LABELS, status_labels=STATUS_LABELS,
                           withdrawn=keys.compromised_kids(), withdrawn_label=WITHDRAWN_LABEL)


@bp.route("/certificates/<number>.pdf")
@roles_required(Role.CANDIDATE)
def download(number: str) -> Any:
    """The holder's own signed PDF (never someone else's; never a revoked one)."""
    cert = certificates.find_by_number(number)
    if cert is None or cert.user_id != current_user.id or cert.status == "revoked":
        abort(404)
    return _pdf_response(cert)  # 409 while its key is withdrawn (pdf.pdf_bytes, issue 20.6)


# -- administration ----------------------------------------------------------------------------


@bp.route("/admin/certificates")
@roles_required(Role.CERTIFICATE_OFFICER, read=(Role.AUDITOR,))
def admin_list() -> Any:
    """Search the register; with ?number=, show one certificate and its actions."""
    query = request.args.get("q", "")[:200]
    selected = certificates.find_by_number(request.args["number"]) if request.args.get("number") else None
    if selected is not None and request.args.get("download") == "pdf":
        return _pdf_response(selected)
    status_form = reissue_form = replacement = None
    if selected is not None:
        status_form = StatusForm(formdata=None, number=selected.number)
        # Only what applies to its status: no Reinstate on a valid certificate (issue 18.10).
        status_form.action.choices = [(a, label) for a, label in status_form.action.choices
                                      if _applies(a, selected)]
        reissue_form = ReissueForm(formdata=None, number=selected.number, name_zh=selected.holder_name_zh,
                                   name_en=selected.holder_name_en, name_family=selected.holder_name_family)
        replacement = cert_admin.replacement_of(selected)
    page = page_number(1_000_000)
    return render_template("certificates/admin.html", rows=cert_admin.search(query, page), query=query,
                           page=page, page_size=cert_admin.PAGE_SIZE, selected=selected,
                           replacement=replacement, status_form=status_form, reissue_form=reissue_form,
                           level_labels=LEVEL_LABELS, direction_labels=DIRECTION_LABELS,
                           status_labels=STATUS_LABELS, withdrawn=keys.compromised_kids(),
                           withdrawn_label=WITHDRAWN_LABEL, resign_job=jobs.resign_job())


def _applies(action: str, cert: Certificate) -> bool:
    return action in cert_admin.TRANSITIONS and cert.status in cert_admin.TRANSITIONS[action][0]


def _holder(cert: Certificate) -> str:
    return f"{cert.holder_name_zh} / {cert.holder_name_en}"


@bp.route("/admin/certificates/status", methods=["POST"])
@roles_required(Role.CERTIFICATE_OFFICER)
def admin_status() -> Any:
    """Suspend or reinstate at once; revoke (final) only after a confirmation naming the holder."""
    form = StatusForm()
    number = form.number.data or ""
    back = redirect(url_for("certificates.admin_list", number=number))
    if not form.validate_on_submit():
        flash(_("Choose an action and give a reason."), "error")
        return back
    action = form.action.data or ""
    cert = certificates.find_by_number(number)
    if cert is not None and not _applies(action, cert):  # refused here too, not only left out of the menu
        flash(_("This certificate is %(status)s; that action does not apply.", status=cert.status.value), "error")
        return back
    if cert is not None and action == cert_admin.REVOKE and not confirmation.confirmed():
        return confirmation.page(
            title=_("Revoke certificate %(number)s", number=cert.number),
            statement=_("Revoke certificate %(number)s of %(holder)s: from now on its verification page and "
                        "every check of it say REVOKED. A revoked certificate cannot be reinstated.",
                        number=cert.number, holder=_holder(cert)),
            details=[_("Reason (kept in the audit log): %(reason)s", reason=form.reason.data or "")],
            button=_("Revoke the certificate"), cancel_url=url_for("certificates.admin_list", number=number),
            fields={"number": number, "action": action, "reason": form.reason.data or ""})
    try:
        cert_admin.change_status(current_user, number, action, form.reason.data or "")
    except UserError as exc:
        flash(exc.message, "error")
    else:
        flash(_("The status of %(number)s is changed.", number=number), "success")
    return back


@bp.route("/admin/certificates/reissue", methods=["POST"])
@roles_required(Role.CERTIFICATE_OFFICER)
def admin_reissue() -> Any:
    """Re-issue under a new number after a confirmation: the old certificate is revoked for good."""
    form = ReissueForm()
    number = form.number.data or ""
    if not form.validate_on_submit():
        flash(_("Give both corrected names and a reason."), "error")
        return redirect(url_for("certificates.admin_list", number=number))
    old = certificates.find_by_number(number)
    if old is not None and old.status != CertStatus.REVOKED and not confirmation.confirmed():
        return confirmation.page(
            title=_("Re-issue certificate %(number)s", number=old.number),
            statement=_("Re-issue certificate %(number)s of %(holder)s as a new certificate in the name "
                        "%(name)s: %(number)s is revoked for good and points to the new one.",
                        number=old.number, holder=_holder(old),
                        name=f"{(form.name_zh.data or '').strip()} / {(form.name_en.data or '').strip()}"),
            button=_("Re-issue the certificate"), cancel_url=url_for("certificates.admin_list", number=number),
            fields={"number": number, "name_zh": form.name_zh.data, "name_en": form.name_en.data,
                    "name_family": form.name_family.data, "reason": form.reason.data})
    try:
        new = cert_admin.reissue(current_user, number, form.name_zh.data or "", form.name_en.data or "",
                                 form.reason.data or "", form.name_family.data or "")
    except UserError as exc:
        flash(exc.message, "error")
        return redirect(url_for("certificates.admin_list", number=number))
    except (OSError, ValueError, KeyStoreError):  # the PDF could not be made: one transaction, nothing changed
        current_app.logger.exception("re-issue of %s: the new certificate could not be made", number)
        flash(_("The new certificate could not be made, so nothing was changed. The reason is in the server log."),
              "error")
        return redirect(url_for("certificates.admin_list", number=number))
    flash(_("Certificate %(new)s is issued; %(old)s is revoked and points to it.", new=new.number, old=number),
          "success")
    return redirect(url_for("certificates.admin_list", number=new.number))
