"""Machine probes for the roofline: peak FLOP/s and read bandwidth, from the benchmark's own C library.

``rr_probe_peak_gflops(dtype, seconds)`` times independent FMA chains in the
widest instruction set the CPU runs (the roofline's peak);
``rr_probe_peak_isa_gflops(isa, dtype, seconds)`` the same in one instruction
set (scalar, AVX2, AVX-512; 0 where the CPU lacks it), reported per ISA so
that a kernel's GFLOP/s can be read against the peak of its own instructions
(on a CPU that runs 512-bit FMAs at half rate the AVX-512 and AVX2 peaks are
the same); ``rr_probe_read_gbps(bytes, seconds)`` times repeated reads of a
buffer of ``bytes``. All run on one thread. They live in
``c/build/librr_probe.so`` (``c/bench/rr_probe.h``; ``make c`` builds it),
apart from the rnn-rosetta library; ``RR_PROBE_LIBRARY`` points elsewhere.
Where that library is not built every value is ``None`` with the reason, and
the roofline columns read n/a.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rnn_rosetta import paths

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
    #: Peak GFLOP/s per instruction set (``ISAS``) and dtype; an ISA the CPU lacks is absent.
    isa_peak_gflops: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "peak_gflops": self.peak_gflops,
            "isa_peak_gflops": self.isa_peak_gflops,
            "read_gbps": {str(size): value for size, value in sorted(self.read_gbps.items())},
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Probes:
        gbps = {int(size): float(value) for size, value in data.get("read_gbps", {}).items()}
        isa = {name: dict(peaks) for name, peaks in data.get("isa_peak_gflops", {}).items()}
        return cls(dict(data.get("peak_gflops", {})), gbps, data.get("reason"), isa)

    def bandwidth(self, size: int) -> float | None:
        return self.read_gbps.get(max(size, MIN_BYTES))


#: The declarations of c/bench/rr_probe.h that cffi needs (tests/test_c_api.py checks they match).
PROBE_DECLARATIONS = """
typedef enum rr_probe_dtype { RR_PROBE_FLOAT64 = 0, RR_PROBE_FLOAT32 = 1 } rr_probe_dtype;
typedef enum rr_probe_isa { RR_PROBE_SCALAR = 0, RR_PROBE_AVX2 = 1, RR_PROBE_AVX512 = 2 } rr_probe_isa;
double rr_probe_peak_gflops(rr_probe_dtype dtype, double seconds);
double rr_probe_peak_isa_gflops(rr_probe_isa isa, rr_probe_dtype dtype, double seconds);
double rr_probe_read_gbps(size_t bytes, double seconds);
"""

#: The instruction sets whose peak is probed, widest first, and their rr_probe_isa constants.
ISAS: dict[str, str] = {"avx512": "RR_PROBE_AVX512", "avx2": "RR_PROBE_AVX2", "scalar": "RR_PROBE_SCALAR"}


@lru_cache(maxsize=1)
def load_probe_library() -> tuple[Any, dict[str, int]]:
    """``(lib, dtype enum by name)``, opened once; ``RuntimeError`` with the reason when there are no probes."""
    import cffi

    library = paths.probe_library()
    if not library.exists():
        raise RuntimeError(f"{library} is not built; run `make c`")
    ffi = cffi.FFI()
    ffi.cdef(PROBE_DECLARATIONS)
    try:
        lib = ffi.dlopen(str(library))
    except OSError as exc:
        raise RuntimeError(f"cannot open {library}: {exc}") from None
    return lib, {"float32": lib.RR_PROBE_FLOAT32, "float64": lib.RR_PROBE_FLOAT64}


def run_probes(dtypes: list[str], sizes: list[int], seconds: float) -> Probes:
    """Peak for each dtype, bandwidth for each buffer size (and DRAM); n/a with the reason if unavailable."""
    try:
        lib, enum = load_probe_library()
    except RuntimeError as exc:
        return Probes(reason=str(exc))
    probes = Probes()
    each = seconds / TRIES
    for dtype in dtypes:
        best = max(float(lib.rr_probe_peak_gflops(enum[dtype], each)) for _ in range(TRIES))
        if best > 0:
            probes.peak_gflops[dtype] = best
    for isa, constant in ISAS.items():
        for dtype in dtypes:
            best = max(
                float(lib.rr_probe_peak_isa_gflops(getattr(lib, constant), enum[dtype], each / 2)) for _ in range(TRIES)
            )
            if best > 0:  # 0: the CPU lacks this ISA
                probes.isa_peak_gflops.setdefault(isa, {})[dtype] = best
    for size in sorted({max(s, MIN_BYTES) for s in sizes} | {DRAM_BYTES}):
        best = max(float(lib.rr_probe_read_gbps(size, each)) for _ in range(TRIES))
        if best > 0:
            probes.read_gbps[size] = best
    if not probes.peak_gflops and not probes.read_gbps:
        probes.reason = "the C probes returned no valid value"
    return probes
