"""Settings of training subsidies: each measure's numbers, read from the app config.

Every setting falls back to the measures' own number in certexam.domain.subsidies,
whose comments cite their clause (rules s.4, items 24-25; item 36: inclusive).
docs/subsidies.md lists them.
"""

from __future__ import annotations

from flask import current_app

from certexam.domain.subsidies import DEFAULT_RULES, Measure, MeasureRules

_NAMES = {Measure.TRAINING: "TRAINING", Measure.KNOWLEDGE: "KNOWLEDGE"}


def _int(name: str, default: int | None) -> int | None:
    value = current_app.config.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError(f"{name} must be a non-negative int")
    return value


def rules_for(measure: Measure) -> MeasureRules:
    """SUBSIDY_<MEASURE>_RATE_PERCENT, _PROJECT_CAP_FEN (None: no per-project cap) and _YEARLY_CAP_FEN."""
    base, key = DEFAULT_RULES[measure], f"SUBSIDY_{_NAMES[measure]}"
    rate = _int(f"{key}_RATE_PERCENT", base.rate_percent)
    yearly = _int(f"{key}_YEARLY_CAP_FEN", base.yearly_cap_fen)
    assert rate is not None and yearly is not None
    return MeasureRules(measure, rate, _int(f"{key}_PROJECT_CAP_FEN", base.project_cap_fen), yearly)
