"""Finding fixture files from what a person types: a path, a folder, or a bare name like ``gru_cho``.

A bare name (no folder part) that is not a file in the working directory is
looked up as ``NAME.json`` in :func:`rnn_rosetta.paths.fixtures_dir`; when
neither exists the error lists the closest committed names.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

from rnn_rosetta import paths
from rnn_rosetta.cli_errors import CliError

SUFFIX = ".json"


def committed_names() -> list[str]:
    """The names of the fixtures in :func:`paths.fixtures_dir` (file stems), sorted."""
    folder = paths.fixtures_dir()
    return sorted(p.stem for p in folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []


def _is_bare_name(text: str) -> bool:
    path = Path(text)
    return len(path.parts) == 1 and text not in (".", "..")


def _not_found(text: str) -> CliError:
    if not _is_bare_name(text):
        return CliError(f"{text}: no such file or folder")
    name = text.removesuffix(SUFFIX)
    close = difflib.get_close_matches(name, committed_names(), n=4, cutoff=0.6)
    hint = f"; close names: {', '.join(close)}" if close else ""
    return CliError(f"{text}: no such file here, and no fixture named {name!r} in {paths.fixtures_dir()}{hint}")


def resolve_fixture(given: str | Path) -> Path:
    """The file ``given`` names: itself when it exists, else ``fixtures_dir()/NAME.json`` for a bare name.

    A path that names nothing is returned unchanged when it has a folder part
    (the loader then says it cannot read it); a bare name that matches nothing
    raises :class:`CliError` listing close names.
    """
    path = Path(given)
    if path.exists() or not _is_bare_name(str(given)):
        return path
    committed = paths.fixtures_dir() / (path.name.removesuffix(SUFFIX) + SUFFIX)
    if committed.is_file():
        return committed
    raise _not_found(str(given))


def expand_fixture_paths(given: Sequence[str | Path], default_folder: bool = True) -> list[Path]:
    """Every fixture file ``given`` names, in order, without repeats.

    Files as given; folders expanded to every ``*.json`` below them (recursively,
    sorted); bare names resolved by :func:`resolve_fixture`. With nothing given
    and ``default_folder``, the committed fixtures.
    """
    items: Sequence[str | Path] = given or ([paths.fixtures_dir()] if default_folder else [])
    found: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            inside = sorted(p for p in path.rglob(f"*{SUFFIX}") if p.is_file())
            if not inside:
                raise CliError(f"{path}: no *{SUFFIX} files in this folder")
            found.extend(inside)
        elif not path.exists() and not _is_bare_name(str(item)):
            raise _not_found(str(item))
        else:
            found.append(resolve_fixture(item))
    return list(dict.fromkeys(found))
