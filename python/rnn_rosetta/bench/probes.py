"""Machine probes for the roofline: peak FLOP/s and read bandwidth, from the C library.

``rr_probe_peak_gflops(dtype, seconds)`` times independent FMA chains in the
fastest kernel the CPU has; ``rr_probe_read_gbps(bytes, seconds)`` times
repeated reads of a buffer of ``bytes``. Both run on one thread. Where the
library has no probes yet (or is not built) every value is ``None`` with the
reason, and the roofline columns read n/a.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Each probe runs this many times; the best (highest) value is kept.
TRIES = 3
#: Bandwidth of a buffer this large is the machine's memory (DRAM) bandwidth, recorded for reference.
DRAM_BYTES = 256 * 1024 * 1024
#: Buffers smaller than this are probed at this size.
MIN_BYTES = 4096


@dataclass
class Probes:
    """Peak GFLOP/s per dtype and GB/s per buffer size (bytes), or why not."""

    peak_gflops: dict[str, float] = field(default_factory=dict)
    read_gbps: dict[int, float] = field(default_factory=dict)
    reason: str | None = None  # set when the probes are n/a

    def to_json(self) -> dict[str, Any]:
        return {
            "peak_gflops": self.peak_gflops,
            "read_gbps": {str(size): value for size, value in sorted(self.read_gbps.items())},
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Probes:
        gbps = {int(size): float(value) for size, value in data.get("read_gbps", {}).items()}
        return cls(dict(data.get("peak_gflops", {})), gbps, data.get("reason"))

    def bandwidth(self, size: int) -> float | None:
        return self.read_gbps.get(max(size, MIN_BYTES))


def _library() -> tuple[Any, Any]:
    """``(lib, dtype enum by name)``; ``RuntimeError`` with the reason when there are no probes."""
    from rnn_rosetta.backends.c_backend import load_library
    from rnn_rosetta.errors import BackendUnavailable

    try:
        _, lib = load_library()
    except BackendUnavailable as exc:
        raise RuntimeError(str(exc)) from None
    try:
        lib.rr_probe_peak_gflops  # noqa: B018 - cffi resolves the symbol on first access
        lib.rr_probe_read_gbps  # noqa: B018
        dtypes = {"float32": lib.RR_FLOAT32, "float64": lib.RR_FLOAT64}
    except AttributeError as exc:
        raise RuntimeError(f"rr_probe_* not in the C library yet ({str(exc).split(':')[0]})") from None
    return lib, dtypes


def run_probes(dtypes: list[str], sizes: list[int], seconds: float) -> Probes:
    """Peak for each dtype, bandwidth for each buffer size (and DRAM); n/a with the reason if unavailable."""
    try:
        lib, enum = _library()
    except RuntimeError as exc:
        return Probes(reason=str(exc))
    probes = Probes()
    each = seconds / TRIES
    for dtype in dtypes:
        best = max(float(lib.rr_probe_peak_gflops(enum[dtype], each)) for _ in range(TRIES))
        if best > 0:
            probes.peak_gflops[dtype] = best
    for size in sorted({max(s, MIN_BYTES) for s in sizes} | {DRAM_BYTES}):
        best = max(float(lib.rr_probe_read_gbps(size, each)) for _ in range(TRIES))
        if best > 0:
            probes.read_gbps[size] = best
    if not probes.peak_gflops and not probes.read_gbps:
        probes.reason = "the C probes returned no valid value"
    return probes
