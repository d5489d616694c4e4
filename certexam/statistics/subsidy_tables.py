"""The training subsidies' tables (issue 23; rules s.4, items 24-25): money against each measure's yearly cap.

The same tables on the staff page and the public page: the amounts are sums per measure and year,
and the payees are training institutions, organisations rather than people (the public notice
names each one already), so no cell is withheld. No line of any one application is shown here.
"""

from __future__ import annotations

from flask_babel import gettext as _

from certexam.domain import statistics as rules
from certexam.services.statistics.figures import Programme
from certexam.services.subsidies.labels import measure_label
from certexam.statistics.tables import Cell, Table


def money_table(p: Programme) -> Table:
    """Per measure and budget year: the cap (item 24: RMB 3,000,000; item 25: RMB 2,000,000), committed, paid."""
    rows = tuple((Cell(measure_label(m.measure), "text"), Cell(str(y.year), "text"), Cell(y.cap_fen, "money"),
                  Cell(y.committed_fen, "money"), Cell(y.paid_fen, "money"), Cell(y.remaining_fen, "money"),
                  Cell(rules.rate(y.committed_fen, y.cap_fen), "rate"))
                 for m in p.subsidies for y in m.years)
    return Table("subsidies", _("Training subsidies against the yearly caps"),
                 (_("Measure"), _("Year"), _("Cap (RMB)"), _("Committed (RMB)"), _("Paid (RMB)"),
                  _("Remaining (RMB)"), _("Share of the cap committed")), rows,
                 note=_("Rules s.4: training projects (item 24) at most RMB 3,000,000 a year, the body of knowledge, "
                        "courseware and promotion (item 25) at most RMB 2,000,000 a year; each measure has its own "
                        "budget. Committed: approved and funded from that year; paid: paid by the bank."))


def queue_table(p: Programme) -> Table:
    """Per measure: approved subsidies waiting for a later year's budget (first come, first funded)."""
    rows = tuple((Cell(measure_label(m.measure), "text"), Cell(m.queue_length), Cell(m.queued_fen, "money"))
                 for m in p.subsidies)
    total = (Cell(_("Total"), "text"), Cell(sum(m.queue_length for m in p.subsidies)),
             Cell(sum(m.queued_fen for m in p.subsidies), "money"))
    return Table("subsidy-queue", _("Training subsidies waiting for a later year's budget"),
                 (_("Measure"), _("Subsidies waiting"), _("Amount waiting (RMB)")), rows, total)


def tables(p: Programme) -> list[Table]:
    """The subsidy tables, for both pages."""
    return [money_table(p), queue_table(p)]
