"""Words for the training subsidies' measures, in the reader's language (one table for every page)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from certexam.domain.subsidies import Measure

MEASURES = {Measure.TRAINING.value: _l("Training (item 24)"), Measure.KNOWLEDGE.value: _l("Knowledge work (item 25)")}
"""rules s.4: item 24 (training projects) and item 25 (body of knowledge, courseware and promotion)."""


def measure_label(measure: Measure | str) -> str:
    return str(MEASURES[Measure(measure).value])
