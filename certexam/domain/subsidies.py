"""Training subsidies (issue 23; rules s.4, the measures' items 24-25): amounts, caps, double benefit.

Pure rules, standard library only; money is integer fen (floats and bools are
refused with TypeError, domain.budget.require_fen).  Two measures share the
holder bonus's machinery; each has its own yearly budget, allocated by the
same first-come queue (domain.budget.allocate_year takes the cap as a value):

* TRAINING (item 24): training projects for the programme, 50 % of the audited
  costs, at most RMB 1,000,000 a project and RMB 3,000,000 a year;
* KNOWLEDGE (item 25): the body of knowledge, courseware and promotion, at
  most RMB 2,000,000 a year.

"At most" includes the number itself (item 36: "本措施所指的'不超过'包括本数").

Choices where the text is open (docs/subsidies.md; each a setting in
services/subsidies/settings.py):

* rounding: 50 % of an odd number of fen is rounded DOWN to the fen, so the
  subsidy never exceeds half the audited costs;
* the yearly caps are the programme's budget for the measure in a year (like
  item 26's "每年安排不超过300万元"), not a limit per institution;
* item 25 names no rate and no per-project cap: the rate is a setting
  (default 50 %, as item 24) and one project is capped at the yearly budget,
  since a larger one could never be funded and would block the queue.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from certexam.domain.budget import require_fen


class Measure(StrEnum):
    TRAINING = "training"  # rules s.4, item 24
    KNOWLEDGE = "knowledge"  # rules s.4, item 25


TRAINING_RATE_PERCENT = 50
"""rules s.4, item 24: "50% of audited costs"."""

TRAINING_PROJECT_CAP_FEN = 100_000_000
"""rules s.4, item 24: at most RMB 1,000,000 a project (item 36: inclusive)."""

TRAINING_YEARLY_CAP_FEN = 300_000_000
"""rules s.4, item 24: at most RMB 3,000,000 a year (item 36: inclusive)."""

KNOWLEDGE_YEARLY_CAP_FEN = 200_000_000
"""rules s.4, item 25: body of knowledge, courseware and promotion, at most RMB 2,000,000 a year."""

KNOWLEDGE_RATE_PERCENT = 50
"""rules s.4, item 25 names no rate: a choice (the same share as item 24), a setting."""


@dataclass(frozen=True)
class MeasureRules:
    """One measure's numbers; the defaults are the measures' own (see `rules_for`)."""

    measure: Measure
    rate_percent: int
    project_cap_fen: int | None  # None: no per-project cap in the text (then the yearly cap bounds it)
    yearly_cap_fen: int

    def __post_init__(self) -> None:
        require_fen(self.yearly_cap_fen, "yearly_cap_fen")
        if self.project_cap_fen is not None:
            require_fen(self.project_cap_fen, "project_cap_fen")
        if not 0 < self.rate_percent <= 100:
            raise ValueError("rate_percent must be in 1..100")


DEFAULT_RULES: dict[Measure, MeasureRules] = {
    Measure.TRAINING: MeasureRules(Measure.TRAINING, TRAINING_RATE_PERCENT, TRAINING_PROJECT_CAP_FEN,
                                   TRAINING_YEARLY_CAP_FEN),
    Measure.KNOWLEDGE: MeasureRules(Measure.KNOWLEDGE, KNOWLEDGE_RATE_PERCENT, None, KNOWLEDGE_YEARLY_CAP_FEN),
}


def share_of(costs_fen: int, rate_percent: int) -> int:
    """`rate_percent` of the costs, rounded down to the fen (never more than the share)."""
    require_fen(costs_fen, "costs_fen")
    if costs_fen < 0:
        raise ValueError("costs must not be negative")
    return costs_fen * rate_percent // 100


@dataclass(frozen=True)
class Amount:
    """The subsidy for a project and how it was reached."""

    share_fen: int  # the rate applied to the audited costs
    cap_fen: int  # the lowest cap that applies (project, else the yearly budget)
    amount_fen: int

    @property
    def capped(self) -> bool:
        return self.amount_fen < self.share_fen


def subsidy_amount(audited_costs_fen: int, rules: MeasureRules) -> Amount:
    """The subsidy: the measure's share of the audited costs, at most its cap (item 36: inclusive)."""
    if require_fen(audited_costs_fen, "audited_costs_fen") <= 0:
        raise ValueError("audited costs must be positive")
    share = share_of(audited_costs_fen, rules.rate_percent)
    # A project above the yearly budget could never be funded and would stop the first-come queue.
    cap = rules.yearly_cap_fen if rules.project_cap_fen is None else min(rules.project_cap_fen,
                                                                        rules.yearly_cap_fen)
    return Amount(share_fen=share, cap_fen=cap, amount_fen=min(share, cap))


def within_cap(amount_fen: int, cap_fen: int) -> bool:
    """rules s.4, item 36: "不超过" includes the number: amount == cap is within."""
    return require_fen(amount_fen, "amount_fen") <= require_fen(cap_fen, "cap_fen")


# Double benefit (rules s.4 read with s.3, item 33: "获得本措施奖励和补贴的有关单位和个人不得重复享受
# 市级同类奖励、补贴和助学金"): the same project, or the same audited costs, are funded once only,
# whichever measure (items 24, 25) or scheme is asked; the institution declares it takes no
# city-level subsidy of the same kind for them.
class DoubleBenefit(StrEnum):
    SAME_PROJECT = "same_project"  # the project already has a live claim (under either measure)
    SAME_AUDIT = "same_audit"  # the same audit report (the same audited costs) backs another claim
    NO_DECLARATION = "no_declaration"  # no declaration of no same-kind city-level subsidy


@dataclass(frozen=True)
class Claim:
    """A subsidy claim as the double-benefit rule sees it."""

    ref: str
    project_key: str  # the institution's credit code and its project code
    audit_key: str  # the audit firm's report number, normalised
    measure: Measure


def normalise_key(text: str) -> str:
    """Case, spaces and full-width forms do not make a different report or project number."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def double_benefit(claim: Claim, live_claims: Iterable[Claim], declared_no_same_kind: bool) -> list[DoubleBenefit]:
    """Every reason `claim` would fund something already funded (empty: none).

    `live_claims` are the other claims not rejected, withdrawn or cancelled, of both measures.
    """
    problems: list[DoubleBenefit] = []
    others = [c for c in live_claims if c.ref != claim.ref]
    if any(normalise_key(c.project_key) == normalise_key(claim.project_key) for c in others):
        problems.append(DoubleBenefit.SAME_PROJECT)
    if any(normalise_key(c.audit_key) == normalise_key(claim.audit_key) for c in others):
        problems.append(DoubleBenefit.SAME_AUDIT)
    if not declared_no_same_kind:
        problems.append(DoubleBenefit.NO_DECLARATION)
    return problems


def within_measures(day: date, first: date, last: date) -> bool:
    """rules s.3, item 38: the measures (items 24-25 among them) are in force `first`..`last`."""
    return first <= day <= last
