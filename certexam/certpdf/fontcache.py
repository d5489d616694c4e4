"""Font subsets made once per process and reused by every certificate (issue 20.8).

Subsetting the 31,000-glyph CJK font for each document cost about 0.45 s of the 0.5 s a certificate
took. Most of what a certificate prints is the same on every one (titles, labels, the issuer, digits,
Latin letters), so that glyph set is subset once, as a small font of its own; each character of a
holder's name that it lacks is in a small font made the first time a name needs it (one font for
all the new characters of that name) and kept.
The document then embeds these small fonts whole instead of subsetting again: a CID-keyed font
keeps each glyph's original CID, so the PDF's code-to-CID map is right for any font that contains
the CIDs it names, and a few unused glyphs of the base set are cheaper than a subsetting run.
"""

from __future__ import annotations

import atexit
import copy
import shutil
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import fpdf.output
from fontTools import subset as ftsubset
from fontTools.ttLib import TTFont
from fpdf import FPDF

from certexam.certpdf.fonts import FontFile, is_collection

# What any certificate may print besides its fixed texts: ASCII, Latin-1 and Latin Extended-A
# (Portuguese and other romanised names), dashes and quotes, CJK and full-width punctuation.
BASE_RANGES = ((0x20, 0x7E), (0xA0, 0x17F), (0x2010, 0x2027), (0x3000, 0x3011), (0xFF01, 0xFF5E))
MAX_SINGLE_GLYPHS = 20_000  # name characters kept per process: every CJK character a name may use
PREBUILT = "certexam_prebuilt"  # attribute marking a fontTools font that is embedded as it is


def _subset(font: FontFile, codepoints: Iterable[int], target: Path) -> None:
    face = TTFont(str(font.path), fontNumber=font.face_index if is_collection(font) else -1, lazy=True)
    try:
        # Desubroutinized: each small font stands alone, and no subroutine pruning runs later.
        options = ftsubset.Options(notdef_outline=True, recommended_glyphs=True, desubroutinize=True,
                                   layout_features=[], name_IDs=["*"], hinting=False)
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "vhea", "vmtx", "VORG"]
        subsetter = ftsubset.Subsetter(options)
        subsetter.populate(unicodes=sorted(set(codepoints)))
        subsetter.subset(face)
        tmp = target.with_suffix(".tmp")
        face.save(str(tmp))
        tmp.replace(target)  # another thread sees the whole file or none
    finally:
        face.close()


class GlyphFonts:
    """The base font and the names' small fonts of one source font, as files in a private folder."""

    def __init__(self, font: FontFile, covered: frozenset[int]) -> None:
        self.font = font
        self.covered = covered  # what the source font has a glyph for
        self.folder = Path(tempfile.mkdtemp(prefix="certexam-fonts-"))
        atexit.register(shutil.rmtree, self.folder, ignore_errors=True)
        self._lock = threading.Lock()
        self._base: dict[frozenset[int], tuple[Path, frozenset[int]]] = {}
        self._single: dict[int, Path] = {}

    def base(self, fixed_text: str) -> tuple[Path, frozenset[int]]:
        """The font of every certificate's common glyphs plus those of `fixed_text` (the issuer and
        direction names come from settings): its path and the code points it covers."""
        wanted = {ord(ch) for ch in fixed_text} | {c for lo, hi in BASE_RANGES for c in range(lo, hi + 1)}
        key = frozenset(wanted & self.covered)
        with self._lock:
            found = self._base.get(key)
            if found is None:
                path = self.folder / f"base-{len(self._base)}.otf"
                _subset(self.font, key, path)
                found = self._base[key] = (path, key)
            return found

    def fonts_for(self, codepoints: Iterable[int]) -> list[Path]:
        """The fonts holding these characters (a holder's name's that the base font lacks): those made
        for earlier names, and one new font for the characters no name brought before (one subsetting
        run for all of them, whatever their number)."""
        wanted = set(codepoints)
        with self._lock:
            missing = sorted(wanted - self._single.keys())
            if missing:
                if len(self._single) + len(missing) > MAX_SINGLE_GLYPHS:
                    raise RuntimeError("too many distinct characters for the glyph cache")
                path = self.folder / f"glyphs-{len(self._single):06d}.otf"
                _subset(self.font, missing, path)
                for codepoint in missing:
                    self._single[codepoint] = path
            return sorted({self._single[c] for c in wanted})


_instances: dict[FontFile, GlyphFonts] = {}
_instances_lock = threading.Lock()


def glyph_fonts(font: FontFile, covered: frozenset[int]) -> GlyphFonts:
    """The process's cache for `font`."""
    with _instances_lock:
        found = _instances.get(font)
        if found is None:
            found = _instances[font] = GlyphFonts(font, covered)
        return found


_raw_cff: dict[str, bytes] = {}
_raw_file: dict[str, bytes] = {}
_templates: dict[tuple[str, str], Any] = {}


def add_prebuilt_font(pdf: FPDF, family: str, path: Path) -> None:
    """`pdf.add_font(family, "", path)` for a font of this cache, without reading the file again: the
    font as fpdf2 parsed it the first time is copied (fpdf2's own copy, as its recorder makes)."""
    key = (str(path), family.lower())
    template = _templates.get(key)
    if template is None:
        scratch = FPDF()
        scratch.add_font(family, "", str(path))
        template = scratch.fonts[family.lower()]
        mark_prebuilt(template)
        _templates[key] = template
    font = copy.deepcopy(template)
    font.i = len(pdf.fonts) + 1  # its /F<i> resource name, unique within the document
    pdf.fonts[family.lower()] = font
    pdf._set_min_pdf_version("1.6")  # noqa: SLF001  (as add_font does for a CID-keyed CFF font)


def mark_prebuilt(ttffont: Any) -> None:
    """Embed this fpdf font as it is: no subsetting, and its CFF table's bytes as read from the file."""
    face = ttffont.ttfont
    key = str(ttffont.ttffile)
    raw = _raw_cff.get(key)
    if raw is None:
        raw = _raw_cff[key] = bytes(face.reader["CFF "])
        _raw_file[key] = Path(key).read_bytes()
    setattr(face, PREBUILT, True)
    face["CFF "].compile = lambda _font, _raw=raw: _raw  # fpdf embeds the bare CFF of a CID-keyed font

    def save(file: Any, *_args: Any, **_kwargs: Any) -> None:
        file.write(_raw_file[key])  # fpdf reads it back, then embeds the CFF above instead

    face.save = save


class _Subsetter(ftsubset.Subsetter):  # type: ignore[misc]
    """fontTools' subsetter, except for a font already made to measure (mark_prebuilt)."""

    def subset(self, font: Any) -> None:
        if getattr(font, PREBUILT, False):
            return
        super().subset(font)


# fpdf2 reaches the subsetter through this module attribute only (fpdf/output.py, _add_fonts).
# Every other font in the process still goes through fontTools unchanged.
fpdf.output.ftsubset = SimpleNamespace(Options=ftsubset.Options, Subsetter=_Subsetter)  # type: ignore[attr-defined]
