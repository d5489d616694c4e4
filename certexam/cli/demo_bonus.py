"""The demo's holder-bonus year: applications in every state, a full budget, payments, fraud.

Through the bonus use cases, each at its day (they take `now`):

* this budget year, holders apply, pass the completeness check and review, sit
  out the public notice and are approved, oldest first, until the year's cap is
  committed (rules s.3, item 26: RMB 3,000,000, i.e. 300 bonuses; item 36:
  "不超过" includes the number); the next approvals wait for next year's budget;
* each month the funded bonuses go to the bank in a batch, marked paid a few
  days later; the last batch is still at the bank and the newest approvals are
  in none yet;
* one objection during a notice is dismissed, another upheld (the application
  is rejected), a third is still open; applications wait for the check and for
  review, one was returned incomplete, one withdrawn;
* fraud (item 34): one holder's approved bonus is cancelled before payment
  (its budget goes back to the year), another's paid bonus is to be recovered
  with statutory interest.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from certexam import db
from certexam.cli import demo_holders as holders
from certexam.cli import demo_people as people
from certexam.cli.demo_clock import DemoClock, Timeline, local, working_day_on_or_after
from certexam.domain.accounts_check import with_check_digit
from certexam.models import BonusApplication, User
from certexam.services.bonus import applications, budget, fraud, notice, payouts, settings
from certexam.services.platform import clock

QUEUED = 3  # approvals after the cap is reached: they wait for next year's budget
READY = 3  # funded approvals not yet in a payment batch
BANK = ("招商银行深圳分行", "6214830212345671")
SPECIAL = ["submitted", "submitted", "submitted", "under_review", "under_review", "notice_objection", "notice",
           "incomplete", "rejected", "withdrawn"]


def _staff(email: str) -> User:
    user = db.session().scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def _admin() -> User:
    return _staff("admin@demo.certexam")


class Story:
    """One holder's way from declaring their job to a decision, each step on its day."""

    def __init__(self, demo: DemoClock, t: Timeline, org_ids: dict[str, int]) -> None:
        self.demo, self.t, self.org_ids, self.admin = demo, t, org_ids, _admin()

    def at(self, day: date, hour: int = 10, minute: int = 0) -> datetime:
        return self.demo.set(local(day, hour, minute))

    def apply(self, holder: User, n: int, on: date, evidence: bool = True) -> BonusApplication:
        found = holders.declare(self.demo, holder, n, self.org_ids, self.t, on - timedelta(days=12), evidence)
        for rec in found:
            holders.confirm(self.demo, rec, holders.workplace(n) if rec is found[0] else "guangzhou",
                            on - timedelta(days=8), n)
        account = with_check_digit(f"62148302{100000 + n:06d}{n % 97:03d}")  # a UnionPay card: 18 digits, Luhn
        return applications.apply(holder, applications.ApplyInput(True, True, BANK[0], account),
                                  now=self.at(on, 9 + n % 8, n * 7 % 60))

    def check(self, app: BonusApplication, on: date, complete: bool = True, note: str = "") -> None:
        applications.check(self.admin, app.id, complete, note, now=self.at(on, 14))

    def review(self, app: BonusApplication, on: date, approve: bool = True, note: str = "") -> None:
        notice.review(self.admin, app.id, approve, note, now=self.at(on, 15))

    def objection(self, app: BonusApplication, on: date) -> int:
        return notice.record_objection(self.admin, app.id, on - timedelta(days=1), "匿名来电",
                                       "来电反映该申请人并非全职工作，而是兼职顾问。", now=self.at(on, 11)).id

    def close(self, app: BonusApplication, on: date) -> date:
        """Close the notice on the first day it has ended (holidays may push it); returns that day."""
        for extra in range(20):
            day = on + timedelta(days=extra)
            outcome = notice.close_notice(app.id, now=self.at(day, 18))
            if outcome.result == "approved":
                return day
            if outcome.result != "not_due":
                raise RuntimeError(f"demo application {app.id}: {outcome.result}")
        raise RuntimeError(f"demo application {app.id}: the notice never ended")

    def approved(self, holder: User, n: int, on: date, objection: bool = False) -> BonusApplication:
        """The whole way to approval for payment on (about) day `on`."""
        start = on - timedelta(days=16)
        app = self.apply(holder, n, start)
        self.check(app, start + timedelta(days=2))
        self.review(app, start + timedelta(days=6))
        if objection:
            oid = self.objection(app, start + timedelta(days=8))
            notice.resolve_objection(self.admin, oid, False, "已向用人单位核实：申请人为全职员工，社保连续缴纳。",
                                     now=self.at(start + timedelta(days=9), 16))
        self.close(app, on)
        return app


def _batch(story: Story, on: date, paid: bool) -> None:
    """Send every funded bonus to the bank; the bank's reference comes back three working days later."""
    if not payouts.ready_grants():
        return
    # Maker and checker (issue 23): two payment officers, neither of whom approved the applications.
    maker, checker = _staff("payments@demo.certexam"), _staff("payments2@demo.certexam")
    batch = payouts.create_batch(maker, now=story.at(on, 10))
    if paid:
        paid_on = clock.calendar().add_working_days(on, 3)
        payouts.mark_paid(checker, batch.id, f"SZB-DF-{on:%Y%m%d}-{batch.id:03d}", paid_on,
                          now=story.at(paid_on, 16))


def _approval_days(t: Timeline, count: int) -> list[date]:
    first = working_day_on_or_after(date(t.budget_year, 1, 8))
    last = max(min(date(t.budget_year, 12, 28), t.bonus_today - timedelta(days=8)), first)
    span = (last - first).days
    return [first + timedelta(days=span * k // max(count - 1, 1)) for k in range(count)]


def _year(story: Story, group: list[User]) -> None:
    """This budget year: approvals until the cap is committed, the queue after it, monthly payments."""
    funded = settings.yearly_cap_fen() // settings.policy().amount_fen
    days = _approval_days(story.t, len(group))
    cancel = min(40, funded // 2)
    months = {working_day_on_or_after(date(story.t.budget_year, m, 6)) for m in range(2, 13)}
    last_batch = days[max(funded + 1 - READY, 1)]
    batch_days = sorted(d for d in months if days[0] < d < last_batch) or [days[len(days) // 3]]
    for n, (holder, on) in enumerate(zip(group, days, strict=True)):
        while batch_days and batch_days[0] <= on:
            _batch(story, batch_days.pop(0), paid=True)
        if n == funded + 1 - READY:
            _batch(story, last_batch, paid=False)  # still at the bank: these stay "approved"
        app = story.approved(holder, n, on, objection=n == 5)
        if n == cancel:  # a forged contract found before payment: the bonus is cancelled, the budget freed
            fraud.record_finding(story.admin, holder.id, "劳动合同系伪造：用人单位书面确认从未与申请人签订该合同。",
                                 on + timedelta(days=1), app.id, now=story.at(on + timedelta(days=1), 17))


def _specials(story: Story, group: list[User], first_n: int) -> None:
    """The applications still on their way, and the ones that ended early."""
    def back(days: int) -> date:
        return story.t.bonus_today - timedelta(days=days)

    for n, (holder, kind) in enumerate(zip(group, SPECIAL, strict=True), first_n):
        if kind == "submitted":
            story.apply(holder, n, back(3 - n % 3))
        elif kind == "under_review":
            app = story.apply(holder, n, back(12 - n % 2))
            story.check(app, back(9))
        elif kind == "incomplete":
            app = story.apply(holder, n, back(16), evidence=False)
            story.check(app, back(13), False, "请上传劳动合同或社保缴费记录作为在职证明。")
        elif kind == "withdrawn":
            app = story.apply(holder, n, back(45))
            applications.withdraw(holder, app.id, now=story.at(back(40), 20))
        else:  # on notice (with an objection still open, or none), or rejected after an upheld objection
            start = {"notice_objection": 25, "notice": 14, "rejected": 60}[kind]
            app = story.apply(holder, n, back(start))
            story.check(app, back(start - 2))
            story.review(app, back(2) if kind == "notice" else back(start - 5))
            if kind != "notice":
                oid = story.objection(app, back(start - 8))
                if kind == "rejected":
                    notice.resolve_objection(story.admin, oid, True, "经核实，申请人在公示期间已离职，且未如实申报。",
                                             now=story.at(back(start - 11), 16))


def load(demo: DemoClock, t: Timeline) -> list[str]:
    """The bonus year (skipped once any application exists)."""
    org_ids = holders.ensure_orgs(demo, t.holders_passed - timedelta(days=400))
    funded = settings.yearly_cap_fen() // settings.policy().amount_fen
    count = funded + 1 + QUEUED + len(SPECIAL)
    if not db.session().scalar(select(func.count()).select_from(BonusApplication)):
        group = holders.holders(demo, t, count)
        holders.import_social_insurance(demo, group, t, t.social_insurance, _admin())
        story = Story(demo, t, org_ids)
        _year(story, group[:funded + 1 + QUEUED])
        _specials(story, group[funded + 1 + QUEUED:], funded + 1 + QUEUED)
        paid = group[0]
        fraud.record_finding(story.admin, paid.id, "申报的全职工作期间与个人所得税记录不符：其间主要在外地任职。",
                             t.bonus_today - timedelta(days=20), None,
                             now=story.at(t.bonus_today - timedelta(days=20), 16))
    counts = dict(db.session().execute(select(BonusApplication.status, func.count())
                                       .group_by(BonusApplication.status)).all())
    queue = len(budget.overview().queue)
    on_notice = people.people(holders.HOLDERS, 4, count)[funded + 1 + QUEUED + SPECIAL.index("notice")].email
    return [f"  holder bonus: {count} holders; applications by state: "
            + ", ".join(f"{k.value} {v}" for k, v in sorted(counts.items(), key=lambda kv: kv[0].value))
            + f"; {queue} waiting for next year's budget",
            f"  a holder on public notice: {on_notice}"]
