"""Item analysis of a sitting per paper and form, the score distribution chart (inline SVG) and CSV."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Final

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from certexam.domain.blueprint import Blueprint
from certexam.domain.item_analysis import FormAnalysis, analyse_form
from certexam.domain.psychometrics import histogram
from certexam.domain.scoring import compile_form, score_row
from certexam.domain.scoring_types import CUT_SCORE, NOT_COUNTED, ScoringPolicy
from certexam.domain.scoring_types import Response as Scored
from certexam.models import Attempt, AttemptKind, AttemptStatus, KeyCorrection, Registration, Result, Sitting
from certexam.services.results import marking
from certexam.services.results.scoring import (
    SlotItem,
    attempt_responses,
    corrections_of,
    policy_of,
    slot_items,
)
from certexam.services.sittings.schedule import blueprint_of

RATE_BINS: Final = 20  # display choice: 5%-wide bins of the correct rate


@dataclass(frozen=True)
class ItemLabel:
    slot: str  # the question number on the form (the first form it was seen on)
    external_id: str
    version: str  # "123" or "123.2": what a key correction names


@dataclass(frozen=True)
class FormReport:
    """One paper of a sitting: its item pool as delivered (one form in fixed mode, many per candidate)."""

    paper: str
    forms: int
    analysis: FormAnalysis
    labels: dict[str, ItemLabel]  # by union item id ("v123" or "v123.2")


PARTIAL: Final = "_not_on_every_form"  # marks union items some candidates never saw (left out of alpha)


def _uid(it: SlotItem) -> str:
    return f"v{it.version_id}.{it.child}" if it.child else f"v{it.version_id}"


def _analyse_paper(sess: Session, paper: str, members: list[Attempt], bp: Blueprint, policy: ScoringPolicy,
                   fixes: dict[tuple[int, int | None], KeyCorrection],
                   final: dict[tuple[int, str], int | None]) -> FormReport:
    """Every attempt scored on its own form, then laid out on the union of the paper's items.

    An item absent from a candidate's form is NOT_COUNTED in their row, so its
    figures come from the candidates who had it (per-candidate assembly).
    """
    per_attempt = [(a, slot_items(sess, a, bp, fixes)) for a in members]
    union: dict[str, SlotItem] = {}
    seen: dict[str, int] = defaultdict(int)
    for _a, its in per_attempt:
        for it in its:
            union.setdefault(_uid(it), it)
            seen[_uid(it)] += 1
    partial = {u for u, n in seen.items() if n < len(members)}
    external = {u: json.loads(next(a.form for a, its in per_attempt if any(_uid(i) == u for i in its)))
                [int(it.slot.partition(".")[0]) - 1].get("x", "") for u, it in union.items()}
    union = dict(sorted(union.items(), key=lambda kv: (external[kv[0]], kv[0])))  # bank order, not draw order
    columns = [replace(it.scoring, item_id=u, choice_group=PARTIAL if u in partial else None)
               for u, it in union.items()]
    groups = {PARTIAL: len(partial)} if partial else {}
    # The union is for statistics only: no pass rule or ethics gate applies to it.
    stats_policy = ScoringPolicy(CUT_SCORE, Fraction(0), Fraction(0), None, groups)
    union_form = compile_form(columns, stats_policy)
    rows: list[list[int]] = []
    answers: list[dict[str, Scored]] = []
    forms: set[str] = set()
    for a, its in per_attempt:
        forms.add(a.form)
        given = attempt_responses(sess, a, its, final)
        own_items = [i.scoring for i in its]
        own_groups = {g: n for g, n in policy.choice_groups.items() if any(i.choice_group == g for i in own_items)}
        own = compile_form(own_items, ScoringPolicy(CUT_SCORE, Fraction(0), Fraction(0), None, own_groups))
        row = dict(zip((_uid(i) for i in its if not i.scoring.voided), score_row(own, given), strict=True))
        rows.append([row.get(c.item_id, NOT_COUNTED) for c in union_form.columns])
        answers.append({_uid(i): given[i.qid] for i in its if i.qid in given})
    labels = {u: ItemLabel(it.slot, external[u], u.removeprefix("v")) for u, it in union.items()}
    return FormReport(paper, len(forms), analyse_form(union_form, answers, rows), labels)


def analyse_sitting(sess: Session, sitting: Sitting) -> list[FormReport]:
    """Item analysis of each paper of a sitting over its submitted attempts."""
    bp = blueprint_of(sitting)
    policy = policy_of(bp)
    fixes = corrections_of(sess, sitting.id)
    atts = list(sess.scalars(select(Attempt).join(Registration, Registration.id == Attempt.registration_id)
                             .where(Registration.sitting_id == sitting.id, Attempt.kind == AttemptKind.EXAM,
                                    Attempt.status == AttemptStatus.SUBMITTED).order_by(Attempt.id)))
    final = marking.final_marks(sess, [a.id for a in atts])
    by_paper: dict[str, list[Attempt]] = defaultdict(list)
    for a in atts:
        by_paper[a.paper_code].append(a)
    return [_analyse_paper(sess, p.code, by_paper[p.code], bp, policy, fixes, final)
            for p in bp.papers if by_paper.get(p.code)]


@dataclass(frozen=True)
class Distribution:
    """Candidates of a sitting by overall correct rate and by ethics rate, with the lines to mark."""

    overall: tuple[tuple[int, int], ...]  # per bin: (not vetoed, vetoed)
    ethics: tuple[int, ...]
    cut: Fraction | None  # cut-score rule only
    gate: Fraction
    candidates: int


def distribution(sess: Session, sitting: Sitting) -> Distribution:
    bp = blueprint_of(sitting)
    rows = list(sess.scalars(select(Result).where(Result.sitting_id == sitting.id, Result.max_total_units > 0)))
    fine = [r.total_units for r in rows if "ETHICS_VETO" not in r.reasons]
    vetoed = [r.total_units for r in rows if "ETHICS_VETO" in r.reasons]
    scale = 1000  # rates as integers 0..scale for the histogram

    def rates(units: list[int], tops: list[int]) -> list[int]:
        return [u * scale // t for u, t in zip(units, tops, strict=True)]

    tops_f = [r.max_total_units for r in rows if "ETHICS_VETO" not in r.reasons]
    tops_v = [r.max_total_units for r in rows if "ETHICS_VETO" in r.reasons]
    a = histogram(rates(fine, tops_f), scale, RATE_BINS)
    b = histogram(rates(vetoed, tops_v), scale, RATE_BINS)
    eth = histogram([int(Fraction(r.ethics_rate) * scale) for r in rows if r.ethics_rate], scale, RATE_BINS)
    return Distribution(tuple((x.count, y.count) for x, y in zip(a, b, strict=True)), tuple(h.count for h in eth),
                        bp.scoring.pass_mark if bp.scoring.pass_rule == "cut_score" else None,
                        bp.scoring.ethics_min_rate, len(rows))


def _svg_histogram(stacks: list[tuple[int, ...]], line: Fraction | None, line_class: str, label: str,
                   title: str, axis: str) -> Markup:
    """A bar chart of 0-100% bins as inline SVG (no script: the pages' CSP forbids it)."""
    width, height, left, bottom, top, right = 640, 220, 36, 30, 24, 24
    plot_w, plot_h = width - left - right, height - bottom - top
    peak = max([sum(s) for s in stacks] + [1])
    bar_w = plot_w / len(stacks)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for i, stack in enumerate(stacks):
        y: float = top + plot_h
        for k, count in enumerate(stack):
            if count:
                h = plot_h * count / peak
                y -= h
                css = "bar" if k == 0 else "bar vetoed"
                parts.append(f'<rect class="{css}" x="{left + i * bar_w + 1:.1f}" y="{y:.1f}" '
                             f'width="{bar_w - 2:.1f}" height="{h:.1f}"><title>{count}</title></rect>')
    base = top + plot_h
    parts.append(f'<line class="axis" x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}"/>')
    parts.append(f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{base}"/>')
    parts.append(f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{peak}</text>')
    parts.append(f'<text x="{left - 4}" y="{base}" text-anchor="end">0</text>')
    for pct in (0, 25, 50, 75, 100):
        x = left + plot_w * pct / 100
        parts.append(f'<text x="{x:.1f}" y="{base + 14}" text-anchor="middle">{pct}%</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 2}" text-anchor="middle">{escape(axis)}</text>')
    if line is not None:
        x = left + plot_w * float(line)
        parts.append(f'<line class="{line_class}" x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{base}"/>')
        parts.append(f'<text class="label-{line_class}" x="{x + 4:.1f}" y="{top - 8}">{escape(label)} '
                     f"{float(line) * 100:.0f}%</text>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every interpolated text is escaped above)


def charts(dist: Distribution, titles: dict[str, str]) -> tuple[Markup, Markup]:
    """(overall rate chart with the cut line, ethics rate chart with the gate line)."""
    overall = _svg_histogram([tuple(s) for s in dist.overall], dist.cut, "cut", titles["cut"], titles["overall"],
                             titles["overall_axis"])
    ethics = _svg_histogram([(c,) for c in dist.ethics], dist.gate, "gate", titles["gate"], titles["ethics"],
                            titles["ethics_axis"])
    return overall, ethics


def _f(value: float | Fraction | None, digits: int = 3) -> str:
    return "" if value is None else f"{float(value):.{digits}f}"


CSV_HEADER: Final = ("paper", "forms", "item", "version", "module", "kind", "n", "facility",
                     "discrimination", "sd", "flags", "option_counts")


def to_csv(reports: list[FormReport]) -> str:
    """One row per item of every form (UTF-8 with a BOM so spreadsheet programs read Chinese right)."""
    out = io.StringIO()
    out.write("\ufeff")
    w = csv.writer(out)
    w.writerow(CSV_HEADER)
    for rep in reports:
        for item in rep.analysis.items:
            lab = rep.labels[item.item_id]
            s = item.stats
            w.writerow([rep.paper, rep.forms, lab.external_id, lab.version, item.module, item.kind, s.n,
                        _f(s.facility), _f(s.discrimination), _f(s.sd), " ".join(s.flags),
                        " ".join(f"{k}:{v}" for k, v in item.option_counts)])
    return out.getvalue()
