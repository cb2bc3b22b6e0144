"""The roofline: the least time a shape can take on this machine, and how close a contender came.

Per shape and dtype (input size = hidden size, every layer alike):

- recurrent weight bytes per step = layers * G*H*H * itemsize: ``W_hh`` must be
  read every step (batch rows share it);
- input GEMM FLOPs = layers * 2*T*B*G*H*I: the input projection of all steps;
- floor = T * weight bytes / bandwidth + input FLOPs / peak, with the
  bandwidth probed at the size of the recurrent weights (the working set of
  the recurrence: cache or memory, whichever holds it);
- efficiency = floor / measured median (1.0 = at the roof);
- peak fraction = all FLOPs (input and recurrent GEMMs) / median / peak;
- ISA peak fraction: the same against the peak of the instruction set the
  contender's kernel uses (``KERNEL_ISA``: C's avx512, avx2-fma, portable),
  where that is known: on a CPU whose 512-bit FMAs run at half rate the
  AVX-512 and AVX2 peaks are equal, on one with full-rate units they are not.

The probes are single-threaded, so both are computed for 1-thread runs only.
"""

from __future__ import annotations

import numpy as np

from rnn_rosetta.bench.probes import Probes
from rnn_rosetta.bench.shapes import Shape

#: The probes' instruction set (:data:`rnn_rosetta.bench.probes.ISAS`) of each kernel name a contender reports.
KERNEL_ISA: dict[str, str] = {"avx512": "avx512", "avx2-fma": "avx2", "portable": "scalar", "exact": "scalar"}


def recurrent_weight_bytes(shape: Shape, dtype: str) -> int:
    return shape.layers * shape.gates * shape.hidden * shape.hidden * np.dtype(dtype).itemsize


def input_flops(shape: Shape) -> float:
    return float(shape.layers * 2 * shape.steps * shape.batch * shape.gates * shape.hidden * shape.hidden)


def total_flops(shape: Shape) -> float:
    """Input and recurrent matrix products (the gate arithmetic is left out)."""
    return 2.0 * input_flops(shape)


def floor_seconds(shape: Shape, dtype: str, probes: Probes) -> float | None:
    """The roofline floor, or ``None`` when a probe is missing."""
    size = recurrent_weight_bytes(shape, dtype)
    gbps, peak = probes.bandwidth(size), probes.peak_gflops.get(dtype)
    if gbps is None or peak is None:
        return None
    return shape.steps * size / (gbps * 1e9) + input_flops(shape) / (peak * 1e9)


def annotate(cell: dict[str, object], shape: Shape, probes: Probes | None) -> None:
    """Add ``floor_s``, ``roofline_efficiency``, ``gflops`` and ``peak_fraction`` to a measured cell."""
    median = cell.get("median_s")
    if not isinstance(median, float) or median <= 0:
        return
    dtype = str(cell["dtype"])
    cell["gflops"] = total_flops(shape) / median / 1e9
    if probes is None or probes.reason is not None:
        return
    floor = floor_seconds(shape, dtype, probes)
    if floor is not None:
        cell["floor_s"] = floor
        cell["roofline_efficiency"] = floor / median
    peak = probes.peak_gflops.get(dtype)
    if peak:
        cell["peak_fraction"] = float(cell["gflops"]) / peak  # type: ignore[arg-type]
    info = cell.get("info")
    isa = KERNEL_ISA.get(str(info.get("kernel"))) if isinstance(info, dict) else None
    isa_peak = probes.isa_peak_gflops.get(isa, {}).get(dtype) if isa is not None else None
    if isa_peak:
        cell["kernel_isa"] = isa
        cell["isa_peak_fraction"] = float(cell["gflops"]) / isa_peak  # type: ignore[arg-type]
