"""`pip install .` builds the C library and the jar with make and ships them inside the package.

Why setuptools with a make step, rather than scikit-build-core or meson-python: the Makefile (mk/*.mk)
is the one description of how the C library and the jar are built, with the flags that `make`, the
tests, the sanitizer builds and `make install` share. scikit-build-core would need a second copy of it
in CMake, meson-python one in meson.build, and neither builds a jar. Here setuptools only runs
`make c java` into a scratch folder and copies what it built into ``rnn_rosetta/bundled/``, where
``rnn_rosetta.paths`` finds it. Metadata lives in pyproject.toml.

An editable install (`pip install -e .`, what nox does) skips the make step: from a checkout the
package uses the checkout's own c/build and java/build.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent

#: (folder under the make build, file, required); the probe library is optional (bench only).
BUILT_FILES = (
    ("c", "librnn_rosetta.so", True),
    ("c", "librr_probe.so", False),
    ("java", "rnn-rosetta.jar", True),
)
#: Where each kind of file goes under ``rnn_rosetta/bundled/`` (mirrors ``rnn_rosetta.paths``).
BUNDLE_FOLDER = {".so": "lib", ".jar": "java"}


class BuildPyWithNative(build_py):
    """build_py, then `make c java` and the built files, the header and the fixtures into the package."""

    def run(self) -> None:
        if not self.editable_mode:  # start clean: a module deleted from the checkout must not ship from an old build
            shutil.rmtree(Path(self.build_lib) / "rnn_rosetta", ignore_errors=True)
        super().run()
        if self.editable_mode:
            return
        scratch = Path(self.get_finalized_command("build").build_temp).resolve() / "make"
        self._make(scratch)
        self._bundle(scratch, Path(self.build_lib) / "rnn_rosetta" / "bundled")

    def _make(self, scratch: Path) -> None:
        """Build into ``scratch`` (C_BUILD and J_BUILD point there), never into the checkout's build folders."""
        command = [
            "make", "--no-print-directory", "-C", str(ROOT),
            f"C_BUILD={scratch / 'c'}", f"J_BUILD={scratch / 'java'}", "c", "java",
        ]  # fmt: skip
        print(" ".join(command))
        if subprocess.run(command, check=False).returncode != 0:
            raise SystemExit(f"setup.py: `{' '.join(command)}` failed; see README.md, Prerequisites")

    def _bundle(self, scratch: Path, bundle: Path) -> None:
        """Copy the libraries, the jar, the public headers, shared_fixtures/*.json and its text/ under ``bundle``."""
        if bundle.exists():
            shutil.rmtree(bundle)
        for folder, name, required in BUILT_FILES:
            source = scratch / folder / name
            if not source.is_file():
                if required:
                    raise SystemExit(f"setup.py: make did not build {source}")
                continue
            self._copy(source, bundle / BUNDLE_FOLDER[source.suffix] / name)
        for header in sorted((ROOT / "c" / "include").glob("*.h")):  # what cffi reads (API, training, readers)
            self._copy(header, bundle / "include" / header.name)
        for fixture in sorted((ROOT / "shared_fixtures").glob("*.json")):
            self._copy(fixture, bundle / "shared_fixtures" / fixture.name)
        for text in sorted((ROOT / "shared_fixtures" / "text").glob("*")):  # the char model's training text
            self._copy(text, bundle / "shared_fixtures" / "text" / text.name)

    @staticmethod
    def _copy(source: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


class PlatformWheel(bdist_wheel):
    """A wheel for this platform but any Python 3: the library is loaded by cffi in ABI mode, not imported."""

    def finalize_options(self) -> None:
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self) -> tuple[str, str, str]:
        _, _, platform = super().get_tag()
        return "py3", "none", platform


# egg_info's scratch goes under build/ too, not beside the package in python/ (where a checkout would then hold
# a second rnn-rosetta distribution's metadata, seen by importlib.metadata).
(ROOT / "build").mkdir(exist_ok=True)
setup(
    cmdclass={"build_py": BuildPyWithNative, "bdist_wheel": PlatformWheel},
    options={"egg_info": {"egg_base": str(ROOT / "build")}},
)
