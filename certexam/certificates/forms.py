"""Forms of the certificate pages, and the words the pages use for levels, directions and verdicts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from certexam.domain.identity import NAME_EN_MAX, NAME_FAMILY_MAX, NAME_ZH_MAX
from certexam.domain.verdict import VerdictCode
from certexam.i18n import DIRECTION_NAMES
from certexam.services.certificates.admin import REASON_MAX, REINSTATE, REVOKE, SUSPEND

NAME_MAX = 200  # the register's widest name column
NUMBER_MAX = 40  # the register's number column

LEVEL_LABELS = {1: _l("Level 1"), 2: _l("Level 2")}
DIRECTION_LABELS = DIRECTION_NAMES  # catalogue.DIRECTIONS in the page language (certexam/i18n.py)
STATUS_LABELS = {"valid": _l("Valid"), "suspended": _l("Suspended"), "revoked": _l("Revoked")}
# Issue 20.6: shown instead of the status while the certificate's token is under a compromised key.
WITHDRAWN_LABEL = _l("Signed with a withdrawn key; a replacement is being issued")

# verdict -> (tone for the banner, headline, explanation; %(date)s is the status date)
VERDICT_LABELS = {
    VerdictCode.VALID: ("ok", _l("Valid certificate"),
                        _l("The certificate is in force and the issuer's signature checks.")),
    VerdictCode.REVOKED: ("bad", _l("Revoked"),
                          _l("This certificate was revoked on %(date)s. It is no longer valid.")),
    VerdictCode.SUSPENDED: ("warn", _l("Suspended"),
                            _l("This certificate is suspended since %(date)s. It is not valid while suspended.")),
    VerdictCode.EXPIRED: ("warn", _l("Expired"), _l("This certificate expired on %(date)s.")),
    VerdictCode.NOT_YET_VALID: ("warn", _l("Not yet valid"), _l("This certificate takes effect on %(date)s.")),
    VerdictCode.UNKNOWN: ("bad", _l("Unknown certificate"),
                          _l("The register holds no certificate with this number.")),
    VerdictCode.MISMATCH: ("bad", _l("Does not match the register"),
                           _l("The signed data differ from the register entry. Do not rely on this certificate.")),
    VerdictCode.KEY_COMPROMISED: ("bad", _l("Not valid: signed with a withdrawn key"),
                                  _l("This code was signed with a key the issuing body has withdrawn; a "
                                     "replacement is being issued under the same number. Ask the holder for "
                                     "the new certificate, or look the number up.")),
    VerdictCode.BACKDATED: ("bad", _l("Not valid: issue date precedes the signing key"),
                            _l("The code is dated before the key that signed it existed: it was made later "
                               "than it claims. Do not rely on this certificate.")),
    VerdictCode.INVALID_TOKEN: ("bad", _l("Not a valid certificate"),
                                _l("The code is damaged, altered, or was not issued by the certification body.")),
}


class NameCheckForm(FlaskForm):
    """A verifier types the holder's full name to see it confirmed."""

    name = StringField(_l("Holder's full name, in Chinese or English"),
                       validators=[DataRequired(), Length(max=NAME_MAX)])
    submit = SubmitField(_l("Check the name"))


class LookupForm(FlaskForm):
    """Find a certificate by its number and the holder's family name (issue 19.11: that field alone)."""

    number = StringField(_l("Certificate number"), validators=[DataRequired(), Length(max=NUMBER_MAX)])
    surname = StringField(_l("Holder's family name, as in the English name on the certificate"),
                          validators=[DataRequired(), Length(max=NAME_MAX)])
    name = StringField(_l("Holder's full name (optional, to confirm it)"),
                       validators=[Optional(), Length(max=NAME_MAX)])
    submit = SubmitField(_l("Verify"))


class ReceiptForm(FlaskForm):
    """Download a signed receipt of one verification (by token, or by number and surname)."""

    token = HiddenField(validators=[Optional(), Length(max=1024)])
    number = HiddenField(validators=[Optional(), Length(max=NUMBER_MAX)])
    surname = HiddenField(validators=[Optional(), Length(max=NAME_MAX)])
    name = HiddenField(validators=[Optional(), Length(max=NAME_MAX)])
    submit = SubmitField(_l("Download a signed receipt (PDF)"))


class StatusForm(FlaskForm):
    number = HiddenField(validators=[DataRequired(), Length(max=NUMBER_MAX)])
    # The reversible action first, so that the default never revokes by accident.
    action = SelectField(_l("Action"), choices=[(SUSPEND, _l("Suspend")), (REINSTATE, _l("Reinstate")),
                                                (REVOKE, _l("Revoke (final)"))], validators=[DataRequired()])
    reason = TextAreaField(_l("Reason (kept in the audit log, never shown publicly)"),
                           validators=[DataRequired(), Length(max=REASON_MAX)])
    submit = SubmitField(_l("Change the status"))


class ReissueForm(FlaskForm):
    number = HiddenField(validators=[DataRequired(), Length(max=NUMBER_MAX)])
    name_zh = StringField(_l("Corrected name in Chinese"), validators=[DataRequired(), Length(max=NAME_ZH_MAX)])
    name_en = StringField(_l("Corrected name in English or pinyin"),
                          validators=[DataRequired(), Length(max=NAME_EN_MAX)])
    name_family = StringField(_l("Family name, as written in the name in English or pinyin"),
                              validators=[Optional(), Length(max=NAME_FAMILY_MAX)])  # blank: the first word
    reason = TextAreaField(_l("Reason (kept in the audit log, never shown publicly)"),
                           validators=[DataRequired(), Length(max=REASON_MAX)])
    submit = SubmitField(_l("Re-issue with the corrected name"))
