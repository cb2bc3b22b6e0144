"""What the accuracy runs measure: each backend's kernels, and PyTorch beside them."""

from __future__ import annotations

from dataclasses import dataclass

from rnn_rosetta.accuracy.torch_runner import torch_forward, torch_refusal
from rnn_rosetta.backends import BACKENDS, get_backend
from rnn_rosetta.errors import RosettaError
from rnn_rosetta.fixture_data import CaseInputs
from rnn_rosetta.model import Model
from rnn_rosetta.result import Result

TORCH = "torch"


@dataclass(frozen=True)
class Target:
    """One implementation: ``backend`` (numpy, c, java, or torch) and a kernel ("auto" is the default)."""

    backend: str
    kernel: str = "auto"

    @property
    def label(self) -> str:
        return self.backend if self.backend == TORCH else f"{self.backend}:{self.kernel}"

    def refusal(self, model: Model) -> str | None:
        """None when this target can run ``model`` here, else why not (one line)."""
        if self.backend == TORCH:
            return torch_refusal(model)
        backend = get_backend(self.backend)
        reason = backend.why_unavailable()
        if reason is not None:
            return reason
        if self.kernel not in backend.kernels:
            return f"no kernel {self.kernel!r} (has {', '.join(backend.kernels)})"
        return None

    def run(self, model: Model, given: CaseInputs, dtype: str) -> Result:
        if self.backend == TORCH:
            return torch_forward(model, given, dtype)
        net = get_backend(self.backend).load(model, dtype=dtype, kernel=self.kernel)
        return net.forward(given.x, given.h0, given.c0, given.lengths)


def backend_targets(backends: tuple[str, ...] | list[str], kernels: str = "all", torch: bool = True) -> list[Target]:
    """Every kernel of each backend (``kernels="all"``) or the named ones ("auto,exact"), then torch.

    An unavailable backend is kept (it reports its reason on every case).
    """
    wanted = None if kernels == "all" else [k.strip() for k in kernels.split(",") if k.strip()]
    targets = []
    for name in backends:
        if name == TORCH:
            continue
        if name not in BACKENDS:
            raise RosettaError(f"unknown backend {name!r}, expected some of {[*BACKENDS, TORCH]}")
        offered = get_backend(name).kernels
        for kernel in offered if wanted is None else wanted:
            targets.append(Target(name, kernel))
    if torch or TORCH in backends:
        targets.append(Target(TORCH))
    return targets
