"""Find the CJK font the certificate is set in, and check it covers the text.

One serif face (Noto Serif SC, SIL OFL 1.1) sets both the Chinese and the
English text, so the two languages share one typographic colour.  It is looked
up, in order:

1. ``CERTEXAM_CJK_FONT``: a font file path, with ``#N`` appended to pick face N
   of a ``.ttc``/``.otc`` collection (``/x/NotoSerifCJK-Regular.ttc#2``);
2. the PyPI package ``pylopdf-fonts-zh-cn`` (data only; its code is never
   imported, the file is found through the import system's metadata);
3. Debian's ``fonts-noto-cjk`` (face "Noto Serif CJK SC" of its collection).

If none is there, :class:`CJKFontMissing` says how to get one.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont

ENV_VAR = "CERTEXAM_CJK_FONT"
"""Override: path to a font file, optionally ``#N`` for a collection face."""

PYPI_DISTRIBUTION = "pylopdf-fonts-zh-cn"
PYPI_MODULE = "pylopdf_fonts_zh_cn"
PYPI_FONT_FILE = "NotoSerifSC-Regular.otf"

DEBIAN_PACKAGE = "fonts-noto-cjk"
DEBIAN_FONT_FILE = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
DEBIAN_FACE_FAMILY = "Noto Serif CJK SC"  # the simplified-Chinese face of the collection

_COLLECTION_SUFFIXES = (".ttc", ".otc")
_NAME_ID_FAMILY = 1  # OpenType 'name' table: font family name


class CJKFontMissing(RuntimeError):
    """No usable CJK font: the message says what to install or set."""


class MissingGlyphs(ValueError):
    """The font has no glyph for some characters of the certificate text."""

    def __init__(self, chars: str) -> None:
        super().__init__(f"the certificate font has no glyph for: {chars!r}")
        self.chars = chars


@dataclass(frozen=True)
class FontFile:
    """A font file and, for a collection, the index of the face to use."""

    path: Path
    face_index: int = 0


def find_cjk_font(env: Mapping[str, str] | None = None) -> FontFile:
    """Return the CJK font to embed, or raise :class:`CJKFontMissing`."""
    environ = os.environ if env is None else env
    override = environ.get(ENV_VAR, "").strip()
    if override:
        return _parse_override(override)
    packaged = _packaged_font()
    if packaged is not None:
        return packaged
    if DEBIAN_FONT_FILE.is_file():
        return FontFile(DEBIAN_FONT_FILE, _face_index_by_family(DEBIAN_FONT_FILE, DEBIAN_FACE_FAMILY))
    raise CJKFontMissing(
        "No CJK font for the certificate PDF. Install one of: "
        f"`pip install {PYPI_DISTRIBUTION}` (preferred, part of certexam's dependencies) or "
        f"`apt-get install {DEBIAN_PACKAGE}`; or set {ENV_VAR}=/path/to/font.otf "
        "(append #N to choose face N of a .ttc/.otc collection)."
    )


def _parse_override(value: str) -> FontFile:
    path_text, sep, index_text = value.rpartition("#")
    if not sep:
        path_text, index_text = value, "0"
    if not index_text.isdigit():
        raise CJKFontMissing(f"{ENV_VAR}={value!r}: the part after '#' must be a face number")
    path = Path(path_text)
    if not path.is_file():
        # An explicit choice that fails must not fall back silently to another font.
        raise CJKFontMissing(f"{ENV_VAR}={value!r}: no such font file")
    return FontFile(path, int(index_text))


def _packaged_font() -> FontFile | None:
    # find_spec locates the package without running its __init__.
    spec = importlib.util.find_spec(PYPI_MODULE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / PYPI_FONT_FILE
        if candidate.is_file():
            return FontFile(candidate)
    return None


def _face_index_by_family(path: Path, family: str) -> int:
    collection = TTCollection(str(path), lazy=True)
    try:
        for index, face in enumerate(collection.fonts):
            if face["name"].getDebugName(_NAME_ID_FAMILY) == family:
                return index
    finally:
        collection.close()
    raise CJKFontMissing(f"{path} has no face named {family!r}; reinstall {DEBIAN_PACKAGE}")


def is_collection(font: FontFile) -> bool:
    """True for a ``.ttc``/``.otc`` file, whose face must be chosen by index."""
    return font.path.suffix.lower() in _COLLECTION_SUFFIXES


@lru_cache(maxsize=4)
def _codepoints(font: FontFile) -> frozenset[int]:
    number = font.face_index if is_collection(font) else -1
    face = TTFont(str(font.path), fontNumber=number, lazy=True)
    try:
        return frozenset(face.getBestCmap())
    finally:
        face.close()


def coverage(font: FontFile) -> frozenset[int]:
    """The code points the font has a glyph for (read once per font)."""
    return _codepoints(font)


def check_coverage(font: FontFile, text: str) -> None:
    """Raise :class:`MissingGlyphs` if ``text`` uses a character the font lacks.

    A holder's name printed as empty boxes is worse than no certificate, so
    this is checked before rendering rather than left to a viewer.
    """
    covered = _codepoints(font)
    missing = sorted({ch for ch in text if not ch.isspace() and ord(ch) not in covered})
    if missing:
        raise MissingGlyphs("".join(missing))
