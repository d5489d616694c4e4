"""Fuzzing: no input makes the readers raise, and a result never holds both items and errors."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certexam.bankio import ParseResult, read_bytes, read_files
from certexam.bankio.qti import dump_qti
from certexam.bankio.sanitize import html_problems, safe_html

FIXTURES = Path(__file__).parent / "fixtures" / "bank"
SAMPLES = {path.name: path.read_bytes() for path in sorted(FIXTURES.iterdir())}
FORMATS = {"L1-ETH.yaml": "yaml", "L1-FIN.csv": "csv", "moodle-L2-AI.xml": "moodle"}
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(result: ParseResult) -> None:
    assert isinstance(result, ParseResult)
    assert bool(result.items) != bool(result.errors)  # exactly one of them
    for error in result.errors:
        assert error.message and error.message[0].isupper() and error.message.endswith((".", ")"))
        assert error.line is None or error.line >= 1


@FUZZ
@given(st.binary(max_size=400), st.sampled_from(["yaml", "csv", "moodle", "qti", None]))
def test_random_bytes_give_errors_not_exceptions(data: bytes, fmt: str | None) -> None:
    check(read_bytes("upload.bin", data, fmt=fmt))


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(SAMPLES)))
    data = bytearray(SAMPLES[name])
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["truncate", "delete", "insert", "flip", "duplicate"]))
        if action == "truncate":
            del data[at:]
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif action == "insert":
            chunk = draw(st.binary(min_size=1, max_size=8) | st.sampled_from(
                [b"<", b"&", b"]]>", b"<script>", b'"', b",", b"\n", b":", b"- ", b"\t", b"\xff", b"\xe4\xb8"]))
            data[at:at] = chunk
        elif action == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "duplicate":
            data[at:at] = data[max(0, at - 60) : at]
    return name, bytes(data)


@FUZZ
@given(mutated())
def test_mutated_valid_files_give_items_or_errors(sample: tuple[str, bytes]) -> None:
    name, data = sample
    check(read_bytes(name, data))
    check(read_bytes("upload", data, fmt=FORMATS[name]))  # forced format: content sniffing not involved


def _package() -> tuple[list[str], dict[str, bytes]]:
    items = [i for i in read_files(sorted(FIXTURES.iterdir())).items if i.type != "item_set"]
    archive = zipfile.ZipFile(io.BytesIO(dump_qti(items)))
    return archive.namelist(), {name: archive.read(name) for name in archive.namelist()}


PACKAGE_NAMES, PACKAGE = _package()


@FUZZ
@given(st.sampled_from(PACKAGE_NAMES), st.integers(0, 4000), st.binary(min_size=0, max_size=8), st.booleans())
def test_mutated_qti_packages_give_items_or_errors(name: str, at: int, chunk: bytes, cut: bool) -> None:
    """A QTI package (issue 22) with one member cut short or spliced: items or errors, never an exception."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for member, body in PACKAGE.items():
            changed = body[:at] if cut else body[:at] + chunk + body[at:]
            archive.writestr(member, changed if member == name else body)
    check(read_bytes("bank.zip", out.getvalue()))


@FUZZ
@given(st.text(max_size=200) | st.lists(st.sampled_from(
    ["<", ">", "&", "p", "img", " src=", '"assets/a.png"', "/", "script", "<!--", "-->", "=", "'", "a", "tbody",
     "<table>", "<tr>", "<td>", "<pre>", "\n", "&lt;", "&#0;"]), max_size=30).map("".join))
def test_html_check_never_raises_and_accepted_text_sanitises_to_itself(text: str) -> None:
    problems = html_problems(text)
    cleaned = safe_html(text)
    assert "<script" not in cleaned.lower() and "onerror" not in cleaned.lower()
    if not problems:
        assert html_problems(cleaned) == []  # the sanitised form is accepted too, and stable
        assert safe_html(cleaned) == cleaned
