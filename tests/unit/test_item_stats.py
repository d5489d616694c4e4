"""Item difficulty statistics in the YAML bank format (issue 21): read, checked, written, not content."""

from __future__ import annotations

from certexam.bankio.yaml_format import dump_yaml, parse_yaml
from certexam.domain import item_codec
from certexam.domain.difficulty import ItemStats

ITEM = """  - id: L1-ETH-{n:04d}
    type: single_choice
{stats}    stem: {{zh_Hans: 题干}}
    options:
      - {{key: A, text: {{zh_Hans: 甲}}}}
      - {{key: B, text: {{zh_Hans: 乙}}}}
      - {{key: C, text: {{zh_Hans: 丙}}}}
    answer: A
"""


def _file(*stats: str) -> bytes:
    items = "".join(ITEM.format(n=n, stats=f"    stats: {s}\n" if s else "") for n, s in enumerate(stats, 1))
    return f"format: certexam-bank/1\nmodule: L1-ETH\nitems:\n{items}".encode()


def test_stats_are_read_and_written_back() -> None:
    result = parse_yaml(_file("{facility: 0.62, n: 240}", "", "{facility: 1, n: 3}"))
    assert result.errors == ()
    assert [i.stats for i in result.items] == [ItemStats(0.62, 240), None, ItemStats(1.0, 3)]
    again = parse_yaml(dump_yaml(result.items))
    assert [i.stats for i in again.items] == [i.stats for i in result.items]
    assert b"stats: {facility: 0.62, n: 240}" in dump_yaml(result.items)


def test_stats_are_not_content() -> None:
    """Same text, other statistics: same content hash, equal items (no new version on import)."""
    a = parse_yaml(_file("{facility: 0.62, n: 240}")).items[0]
    b = parse_yaml(_file("{facility: 0.41, n: 900}")).items[0]
    c = parse_yaml(_file("")).items[0]
    assert item_codec.content_hash(a) == item_codec.content_hash(b) == item_codec.content_hash(c)
    assert a == b == c and "stats" not in item_codec.to_json(a) and "0.62" not in item_codec.to_json(a)


def test_bad_stats_are_errors_with_their_line() -> None:
    cases = {
        "{facility: 1.2, n: 40}": "facility must be a number from 0 to 1",
        "{facility: high, n: 40}": "facility must be a number from 0 to 1",
        "{facility: 0.5, n: 0}": "n must be a whole number of responses, at least 1",
        "{facility: 0.5}": "n must be a whole number",
        "{facility: 0.5, n: many}": "The n of stats must be a whole number, not 'many'",
        "{facility: 0.5, n: 40, p: 1}": "Unknown field 'p' in stats",
        "0.5": "The stats must be a mapping",
    }
    for stats, message in cases.items():
        result = parse_yaml(_file(stats))
        assert result.items == () and result.errors, stats
        assert any(message in e.message and e.line == 6 for e in result.errors), (stats, result.errors)
