"""Item analysis of one form in one sitting: scoring rows + psychometrics.

Voided items are left out (they are not columns of the form). Items in a
choice group are analysed over the candidates for whom they counted and are
left out of alpha (not every candidate has a score on them); so are
constructed responses still awaiting marks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from certexam.domain.psychometrics import (
    HistogramBin,
    ItemStats,
    ScaleStats,
    ScoreMatrix,
    histogram,
    item_statistics,
    scale_statistics,
)
from certexam.domain.scoring import Row, ScoringForm, score_row
from certexam.domain.scoring_types import NOT_COUNTED, POINT_UNITS, Response

HISTOGRAM_BINS: Final = 20  # display choice, not a rule: 5%-wide bins of the maximum total
# Kelley's 27%: the upper and lower groups by total that distractor charts compare (issue 21).
GROUP_SHARE: Final = Fraction(27, 100)
NO_ANSWER: Final = "-"  # option-count label for "no answer"


@dataclass(frozen=True, slots=True)
class ItemReport:
    """One item's figures; ``option_counts`` is (option label, candidates) pairs
    ("true"/"false" for true-false, NO_ANSWER for blank; a multiple-response
    answer counts once for each option it selects)."""

    item_id: str
    module: str
    kind: str
    set_id: str | None
    stats: ItemStats
    option_counts: tuple[tuple[str, int], ...]
    high_low: tuple[tuple[str, int, int], ...] = ()  # (option label, upper 27%, lower 27%)


@dataclass(frozen=True, slots=True)
class FormAnalysis:
    """Item analysis of one form: items, whole form, each module, histogram."""

    attempts: int
    items: tuple[ItemReport, ...]
    form: ScaleStats
    modules: tuple[tuple[str, ScaleStats], ...]
    histogram: tuple[HistogramBin, ...]
    voided: tuple[str, ...]

    def item(self, item_id: str) -> ItemReport:
        """The report of one item, or KeyError."""
        for report in self.items:
            if report.item_id == item_id:
                return report
        raise KeyError(item_id)

    def module(self, code: str) -> ScaleStats:
        """The figures of one module, or KeyError."""
        return dict(self.modules)[code]


def _label(answer: object) -> str:
    if answer is None:
        return NO_ANSWER
    if isinstance(answer, bool):
        return "true" if answer else "false"
    return str(answer)


def _option_counts(kind: str, answers: Sequence[Response]) -> tuple[tuple[str, int], ...]:
    """Candidates per option label (none for constructed responses)."""
    if kind == "constructed":
        return ()
    raw = Counter(answers)
    counts: Counter[str] = Counter()
    for answer, count in raw.items():
        if isinstance(answer, frozenset | set):
            if not answer:
                counts[NO_ANSWER] += count
            for key in answer:
                counts[str(key)] += count
        else:
            counts[_label(answer)] += count
    return tuple(sorted(counts.items()))


def high_low_counts(kind: str, answers: Sequence[Response], totals: Sequence[int],
                    share: Fraction = GROUP_SHARE) -> tuple[tuple[str, int, int], ...]:
    """Per option, how many of the upper and of the lower ``share`` of candidates (by total) chose it.

    A working distractor draws more of the lower group than of the upper; a key that draws more of
    the lower group is miskeyed or ambiguous. Ties at the cut are broken by position, so both groups
    have exactly round(share * n) candidates.
    """
    if kind == "constructed" or not answers:
        return ()
    size = max(1, round(share * len(answers)))
    if 2 * size > len(answers):
        return ()
    order = sorted(range(len(answers)), key=lambda j: totals[j])
    low = _option_counts(kind, [answers[j] for j in order[:size]])
    high = _option_counts(kind, [answers[j] for j in order[-size:]])
    labels = sorted(set(dict(low)) | set(dict(high)))
    return tuple((label, dict(high).get(label, 0), dict(low).get(label, 0)) for label in labels)


def analyse_form(
    form: ScoringForm,
    attempts: Sequence[Mapping[str, Response]],
    rows: Sequence[Row] | None = None,
    bins: int = HISTOGRAM_BINS,
) -> FormAnalysis:
    """Analyse a form's attempts (pass ``rows`` from score_attempts to reuse them)."""
    if rows is None:
        rows = [score_row(form, responses) for responses in attempts]
    if len(rows) != len(attempts):
        raise ValueError("one row per attempt is needed")
    matrix = ScoreMatrix(rows, form.max_units)
    ids = [it.item_id for it in form.columns]
    answer_columns: list[Sequence[Response]] = (
        list(zip(*[list(map(responses.get, ids)) for responses in attempts], strict=True))
        if attempts
        else [()] * len(ids)
    )
    reports = []
    for c, it in enumerate(form.columns):
        answers = answer_columns[c]
        totals: Sequence[int] = matrix.totals
        if not matrix.complete[c] and it.choice_group is not None:
            kept = [j for j, v in enumerate(matrix.columns[c]) if v != NOT_COUNTED]
            answers, totals = [answers[j] for j in kept], [matrix.totals[j] for j in kept]
        stats = item_statistics(matrix, c, POINT_UNITS)
        reports.append(ItemReport(it.item_id, it.module, it.kind, it.set_id, stats, _option_counts(it.kind, answers),
                                  high_low_counts(it.kind, answers, totals)))
    modules = tuple(
        (code, scale_statistics(matrix, form.module_columns(code), POINT_UNITS)) for code in form.module_codes
    )
    return FormAnalysis(
        attempts=len(rows),
        items=tuple(reports),
        form=scale_statistics(matrix, None, POINT_UNITS),
        modules=modules,
        histogram=histogram(matrix.totals, form.nominal_max_units, bins, POINT_UNITS),
        voided=tuple(it.item_id for it in form.items if it.voided),
    )
