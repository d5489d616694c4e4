"""Font subsets made once per process (issue 20.8, certpdf/fontcache.py): what they save must not
change what prints. Names mixing the base font with characters of their own print whole, a name
whose characters were seen before makes no new font, and each font is embedded (pdffonts)."""

from __future__ import annotations

from pathlib import Path

from certexam.certpdf import fontcache
from certexam.certpdf.fonts import coverage, find_cjk_font
from certexam.certpdf.render import common_text, render_certificate_pdf
from tests.integration.test_certpdf import certificate, run, tool

NAMES = [("欧阳明華", "Ouyang Minghua"), ("華明", "Hua Ming"), ("João Ferrão", "João Ferrão"),
         ("麥嘉欣", "MAK Ka Yan")]


def test_names_print_whole_with_the_cached_fonts_and_seen_characters_make_no_font(tmp_path: Path) -> None:
    font = find_cjk_font()
    glyphs = fontcache.glyph_fonts(font, coverage(font))
    for index, (name_zh, name_en) in enumerate(NAMES):
        data = certificate(holder_name_zh=name_zh, holder_name_en=name_en)
        _base, base_covers = glyphs.base(common_text(data))
        new = {ord(ch) for ch in name_zh + name_en} - base_covers - glyphs._single.keys()  # noqa: SLF001
        made_before = len(list(glyphs.folder.iterdir()))
        path = tmp_path / f"{index}.pdf"
        path.write_bytes(render_certificate_pdf(data))
        made = len(list(glyphs.folder.iterdir())) - made_before
        assert made == (1 if new else 0), (name_zh, new)  # one font for all of a name's new characters
        text = "".join(run(tool("pdftotext"), path, "-").stdout.split())
        assert name_zh.replace(" ", "") in text and name_en.replace(" ", "") in text
        listing = run(tool("pdffonts"), path).stdout.splitlines()[2:]
        assert listing and all(line.split()[-5:-2] == ["yes", "yes", "yes"] for line in listing)
        assert "missing" not in run(tool("pdffonts"), path).stderr
    # 華 and 明 came with the first name: the second makes nothing; the Portuguese name is all base glyphs.
