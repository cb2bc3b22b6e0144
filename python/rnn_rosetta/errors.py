"""The exceptions rnn_rosetta raises; each carries one readable line."""

from __future__ import annotations


class RosettaError(Exception):
    """Base class of every error this package raises on purpose."""


class FixtureError(RosettaError, ValueError):
    """A fixture file breaks the format contract.

    The message reads ``FILE: JSON.PATH: what is wrong``.
    """

    def __init__(self, source: str, path: str, problem: str) -> None:
        self.source = source
        self.path = path
        self.problem = problem
        where = f"{source}: {path}: " if path else f"{source}: "
        super().__init__(where + problem)


class ModelError(RosettaError, ValueError):
    """A :class:`~rnn_rosetta.model.Model` built in memory breaks a model rule.

    ``path`` is the fixture's JSON path of the offending field (``model.layers[0].forward.weight_hh``);
    the message reads ``JSON.PATH: what is wrong``, the same words the fixture loader uses.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class InputError(RosettaError, ValueError):
    """Arrays handed to ``forward``/``step`` (or to a backend) are unusable.

    ``code`` is the C status name (``RR_E_SHAPE``, ...) or the Java exception
    class when the backend itself refused the call, else ``None``.
    """

    def __init__(self, message: str, code: str | None = None) -> None:
        self.code = code
        super().__init__(message)


class BackendError(RosettaError):
    """A backend failed for a reason other than bad input (e.g. out of memory)."""

    def __init__(self, backend: str, message: str, code: str | None = None) -> None:
        self.backend = backend
        self.code = code
        super().__init__(f"{backend}: {message}")


class BackwardUnsupported(BackendError, NotImplementedError):
    """A backend (or a net of it) has no backward pass: catch it as ``NotImplementedError`` too."""


class BackendUnavailable(RosettaError):
    """A backend cannot be loaded here (library not built, JVM missing, ...)."""


class ModelImportError(RosettaError, ValueError):
    """An importer met something it does not understand (a node, layer or op it cannot express exactly).

    The message is one line naming the node/layer/op and why; the importer never imports part of a model.
    """
