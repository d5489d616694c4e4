"""Build hook: compile the translation catalogs into every build.

Metadata, dependencies and package data are declared in setup.cfg. The compiled
catalogs (.mo) are build output and not in git, so building the package (a
wheel, `pip install .`) compiles each shipped .po file next to its copy in the
build, with Babel (a build requirement in pyproject.toml). `make install`
compiles them in place for the editable install of a checkout.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py


def compile_catalogs(root: Path) -> list[str]:
    """Write messages.mo beside each translations/<locale>/LC_MESSAGES/*.po under root."""
    written = []
    for po in sorted(root.glob("certexam/translations/*/LC_MESSAGES/*.po")):
        with po.open("rb") as src:
            catalog = read_po(src, locale=po.parent.parent.name)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as out:
            write_mo(out, catalog)  # fuzzy entries left out, as `pybabel compile` does
        written.append(str(mo))
    return written


class BuildPyWithCatalogs(build_py):
    """build_py that also compiles the catalogs it copied into the build folder."""

    def run(self) -> None:
        super().run()
        self._catalogs = compile_catalogs(Path(self.build_lib))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), *getattr(self, "_catalogs", [])]


setup(cmdclass={"build_py": BuildPyWithCatalogs})
