"""The C backend: ``c/build/librnn_rosetta.so`` through cffi (ABI mode).

The declarations come from ``c/include/rnn_rosetta.h`` itself, so the header
is the one source of truth. The library is opened once per process; cffi
releases the GIL for the duration of every call.
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Any

import numpy as np

from rnn_rosetta import paths
from rnn_rosetta.backends.base import Net, State
from rnn_rosetta.backends.chain_net import ChainNet, FlatResult, join_slots, split_slots
from rnn_rosetta.backward.gradients import Gradients
from rnn_rosetta.backward.weights import chain_weights
from rnn_rosetta.chain import Chain
from rnn_rosetta.errors import BackendError, BackendUnavailable, InputError
from rnn_rosetta.model import DirectionWeights, Model
from rnn_rosetta.result import Result

# Status codes that mean "the caller's arguments are wrong" (the rest are failures).
INPUT_STATUSES = frozenset(
    {"RR_E_NULL", "RR_E_SIZE", "RR_E_SHAPE", "RR_E_CONFIG", "RR_E_LENGTHS", "RR_E_UNSUPPORTED", "RR_E_TOKENS"}
)


def header_declarations(header: str) -> str:
    """The header with preprocessor lines and C++-only blocks removed, for ``ffi.cdef``."""
    kept: list[str] = []
    skipping = False
    for line in header.splitlines():
        stripped = line.strip()
        if stripped.startswith("#ifdef __cplusplus"):
            skipping = True
        elif skipping and stripped.startswith("#endif"):
            skipping = False
        elif not skipping and not stripped.startswith("#"):
            kept.append(line)
    return "\n".join(kept)


@lru_cache(maxsize=1)
def load_library() -> tuple[Any, Any]:
    """``(ffi, lib)``, opened once; raises :class:`BackendUnavailable`."""
    try:
        import cffi
    except ImportError as exc:  # pragma: no cover - cffi is a dependency
        raise BackendUnavailable(f"c: cffi is not installed ({exc})") from None
    library, header = paths.c_library(), paths.c_header()
    if not library.exists():
        raise BackendUnavailable(f"c: {library} is not built; run `make c`")
    ffi = cffi.FFI()
    ffi.cdef(header_declarations(header.read_text("utf-8")))
    try:
        lib = ffi.dlopen(str(library))
    except OSError as exc:
        raise BackendUnavailable(f"c: cannot open {library}: {exc}") from None
    return ffi, lib


class CCall:
    """Buffers and error handling for one call into the library."""

    def __init__(self) -> None:
        self.ffi, self.lib = load_library()
        self.err = self.ffi.new("rr_error *")

    def reals(self, array: np.ndarray | None) -> tuple[Any, int]:
        """``(double * or float *, element count)`` by the array's dtype; NULL and 0 for ``None``."""
        if array is None:
            return self.ffi.NULL, 0
        c_type = "float[]" if array.dtype == np.float32 else "double[]"
        return self.ffi.from_buffer(c_type, array), array.size

    def int64s(self, array: np.ndarray | None) -> tuple[Any, int]:
        if array is None:
            return self.ffi.NULL, 0
        return self.ffi.from_buffer("int64_t[]", array), array.size

    def check(self, status: int) -> None:
        """Raise the Python exception for a non-OK status, with the library's message."""
        if status == self.lib.RR_OK:
            return
        name = self.ffi.string(self.lib.rr_status_name(status)).decode()
        message = self.ffi.string(self.err.message).decode(errors="replace")
        if not message:
            message = self.ffi.string(self.lib.rr_status_message(status)).decode()
        if name in INPUT_STATUSES:
            raise InputError(f"c: {message} ({name})", code=name)
        raise BackendError("c", f"{message} ({name})", code=name)


KERNELS: tuple[str, ...] = ("auto", "portable", "avx2", "avx512", "exact")

# The library's rr_kernel constant for each kernel name.
KERNEL_CONSTANTS: dict[str, str] = {
    "auto": "RR_KERNEL_AUTO",
    "portable": "RR_KERNEL_PORTABLE",
    "avx2": "RR_KERNEL_AVX2",
    "exact": "RR_KERNEL_EXACT",
    "avx512": "RR_KERNEL_AVX512",
}


# The kernels that need CPU features: the library's check for them, and what they need.
_CPU_KERNELS: dict[str, tuple[str, str]] = {
    "avx2": ("rr_cpu_has_avx2_fma", "AVX2 and FMA"),
    "avx512": ("rr_cpu_has_avx512", "AVX-512 F/BW/DQ/VL (with the OS saving its registers)"),
}


def kernel_unavailable(kernel: str) -> str | None:
    """``None`` when ``kernel`` runs on this machine, else one line saying why not (tests and the
    crosscheck skip it by that name); a kernel the library does not know is the caller's error."""
    if kernel not in KERNELS:
        raise InputError(f"c: kernel must be one of {list(KERNELS)}, got {kernel!r}")
    if kernel not in _CPU_KERNELS:
        return None
    _, lib = load_library()
    check, needs = _CPU_KERNELS[kernel]
    if getattr(lib, check)():
        return None
    return f"c: kernel {kernel!r} is unavailable: it needs {needs}, which this CPU (or this build of the library) lacks"


def available_kernels() -> tuple[str, ...]:
    """The kernels of :data:`KERNELS` that run on this machine, in that order."""
    return tuple(kernel for kernel in KERNELS if kernel_unavailable(kernel) is None)


def _config(call: CCall, model: Model, dtype: np.dtype, kernel: str, threads: int) -> Any:
    lib = call.lib
    cfg = call.ffi.new("rr_config *")
    cfg.cell = {"rnn": lib.RR_CELL_RNN, "lstm": lib.RR_CELL_LSTM, "gru": lib.RR_CELL_GRU}[model.cell]
    cfg.nonlinearity = lib.RR_RELU if model.nonlinearity == "relu" else lib.RR_TANH
    cfg.linear_before_reset = int(model.linear_before_reset)
    cfg.input_size = model.input_size
    cfg.hidden_size = model.hidden_size
    cfg.num_layers = model.num_layers
    cfg.direction = {"forward": lib.RR_FORWARD, "reverse": lib.RR_REVERSE, "bidirectional": lib.RR_BIDIRECTIONAL}[
        model.direction
    ]
    cfg.proj_size = model.proj_size
    cfg.peepholes = int(model.peepholes)
    cfg.has_clip = int(model.clip is not None)
    cfg.clip = 0.0 if model.clip is None else model.clip
    if model.head is None:
        cfg.head, cfg.head_size = lib.RR_HEAD_NONE, 0
    else:
        cfg.head = lib.RR_HEAD_SOFTMAX if model.head.activation == "softmax" else lib.RR_HEAD_IDENTITY
        cfg.head_size = model.head.size
    cfg.dtype = lib.RR_FLOAT32 if dtype == np.float32 else lib.RR_FLOAT64
    cfg.kernel = getattr(lib, KERNEL_CONSTANTS[kernel])
    cfg.num_threads = threads
    return cfg


def _contiguous(array: np.ndarray | None) -> np.ndarray | None:
    """Weights cross as float64 whatever the net's dtype (the library rounds them once)."""
    return None if array is None else np.ascontiguousarray(array, dtype=np.float64)


def _c_weights(call: CCall, weights: DirectionWeights) -> tuple[Any, list[np.ndarray | None]]:
    """``(rr_weights *, the float64 arrays it points to)``: keep the arrays alive for the call."""
    arrays = {
        "weight_ih": weights.weight_ih,
        "weight_hh": weights.weight_hh,
        "bias_ih": weights.bias_ih,
        "bias_hh": weights.bias_hh,
        "weight_hr": weights.weight_hr,
        "peepholes": weights.peepholes,
    }
    c_weights = call.ffi.new("rr_weights *")
    keep = []
    for name, array in arrays.items():
        array = _contiguous(array)
        keep.append(array)
        pointer, count = call.reals(array)
        setattr(c_weights, name, pointer)
        setattr(c_weights, f"{name}_len", count)
    return c_weights, keep


class CNet(Net):
    backend = "c"
    kernels = KERNELS

    def __init__(self, model: Model, dtype: str = "float64", kernel: str = "auto", threads: int = 1) -> None:
        super().__init__(model, dtype, kernel)
        call = CCall()
        ffi, lib = call.ffi, call.lib
        out = ffi.new("rr_net **")
        call.check(lib.rr_net_create(_config(call, model, self.dtype, kernel, threads), out, call.err))
        self._net = ffi.gc(out[0], lib.rr_net_free)
        for index, layer in enumerate(model.layers):
            for name, weights in layer.directions():
                which = lib.RR_REVERSE if name == "reverse" else lib.RR_FORWARD
                self._set_weights(call, index, which, weights)
        if model.head is not None:
            weight, bias = _contiguous(model.head.weight), _contiguous(model.head.bias)
            call.check(lib.rr_net_set_head(self._net, *call.reals(weight), *call.reals(bias), call.err))
        self._forward_fn = lib.rr_net_forward_f32 if self.dtype == np.float32 else lib.rr_net_forward
        self._step_fn = lib.rr_net_step_f32 if self.dtype == np.float32 else lib.rr_net_step
        self._step_plans: dict[int, _StepPlan] = {}  # by batch size
        # the state the last step returned, (h, h's pointer, c, c's pointer): a streaming loop passes it back
        self._last_state: tuple[Any, Any, Any, Any] = (None, None, None, None)

    @property
    def kernel_name(self) -> str:
        ffi, lib = load_library()
        return str(ffi.string(lib.rr_net_kernel_name(self._net)).decode())

    def _set_weights(self, call: CCall, layer: int, which: int, weights: DirectionWeights) -> None:
        c_weights, keep = _c_weights(call, weights)
        call.check(call.lib.rr_net_set_weights(self._net, layer, which, c_weights, call.err))
        del keep

    def _outputs(self, steps: int | None, batch: int, slots: int) -> dict[str, np.ndarray | None]:
        model = self.model
        width = model.num_directions * model.output_size if steps is not None else model.output_size
        lead = (steps, batch) if steps is not None else (batch,)
        dtype = self.dtype
        return {
            "output": np.empty((*lead, width), dtype),
            "h_n": np.empty((slots, batch, model.output_size), dtype),
            "c_n": np.empty((slots, batch, model.hidden_size), dtype) if model.cell == "lstm" else None,
            "y": np.empty((*lead, model.head.size), dtype) if model.head is not None else None,
        }

    def _forward(
        self, x: np.ndarray, h0: np.ndarray | None, c0: np.ndarray | None, lengths: np.ndarray | None
    ) -> Result:
        steps, batch, _ = x.shape
        model = self.model
        out = self._outputs(steps, batch, model.num_layers * model.num_directions)
        call = CCall()
        status = self._forward_fn(
            self._net, steps, batch,
            *call.reals(x), *call.reals(h0), *call.reals(c0), *call.int64s(lengths),
            *call.reals(out["output"]), *call.reals(out["h_n"]),
            *call.reals(out["c_n"]), *call.reals(out["y"]),
            call.err,
        )  # fmt: skip
        call.check(status)
        return Result(**out)  # type: ignore[arg-type]

    def step(self, x_t: Any, state: State | tuple[Any, Any] | None = None) -> tuple[np.ndarray, State]:
        """:meth:`Net.step`, with a fast path for what a streaming loop passes (see :meth:`_fast_step`)."""
        done = self._fast_step(x_t, state)
        return done if done is not None else super().step(x_t, state)

    def _fast_step_pool_steps(self, batch: int) -> int:
        """How many steps at this batch size one output pool of the fast step serves (for the tests)."""
        return _StepPlan(self, batch).pool_steps

    def _fast_step(self, x_t: Any, state: Any) -> tuple[np.ndarray, State] | None:
        """One step when x_t is a C-contiguous ``[B, I]`` array of the net's dtype and the state is None or a
        State of such arrays (e.g. the one the last step returned, whose pointers are kept); else None, and
        :meth:`Net.step` converts and checks. The library checks every count again; on a refusal this returns
        None too, so that the slow path raises with its message. Outputs are new arrays at every call (views
        of a pool that a few calls share, see :class:`_StepPlan`)."""
        if type(x_t) is not np.ndarray or x_t.dtype is not self.dtype or x_t.ndim != 2:
            return None
        batch = x_t.shape[0]
        plan = self._step_plans.get(batch)
        if plan is None:
            if self.model.direction != "forward" or batch == 0:
                return None
            plan = self._step_plans[batch] = _StepPlan(self, batch)
        h = c = None
        h_ptr = c_ptr = plan.null
        if state is not None:
            if type(state) is not State:
                return None
            h, c = state
            last = self._last_state
            if h is not None:
                h_ptr = last[1] if h is last[0] else plan.pointer(h, plan.h_shape)
            if c is not None:
                c_ptr = last[3] if c is last[2] else plan.pointer(c, plan.c_shape)
            if h_ptr is None or c_ptr is None:
                return None
        if not x_t.flags.c_contiguous:
            return None
        x_ptr = plan.ffi.from_buffer(plan.c_type, x_t)
        out_t, h_next, c_next, y_t, pointers = plan.outputs()
        status = self._step_fn(
            self._net, batch, x_ptr, x_t.size,
            h_ptr, plan.h_size if h is not None else 0, c_ptr, plan.c_size if c is not None else 0,
            pointers[0], plan.out_size, pointers[1], plan.h_size, pointers[2], plan.c_size,
            pointers[3], plan.y_size, plan.null,
        )  # fmt: skip
        if status != 0:
            return None
        self._last_state = (h_next, pointers[1], c_next, pointers[2])
        return (out_t if y_t is None else y_t), State(h_next, c_next)

    def _step(
        self, x_t: np.ndarray, h: np.ndarray | None, c: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None]:
        batch = x_t.shape[0]
        out = self._outputs(None, batch, self.model.num_layers)
        call = CCall()
        status = self._step_fn(
            self._net, batch,
            *call.reals(x_t), *call.reals(h), *call.reals(c),
            *call.reals(out["output"]), *call.reals(out["h_n"]),
            *call.reals(out["c_n"]), *call.reals(out["y"]),
            call.err,
        )  # fmt: skip
        call.check(status)
        assert out["output"] is not None and out["h_n"] is not None
        return out["output"], out["y"], out["h_n"], out["c_n"]


#: The outputs of the fast step come from pools of about this many bytes (one allocation per pool).
STEP_POOL_BYTES = 1 << 16


class _StepPool:
    """Output arrays for `count` steps: out [K, B, H_out], h [K, L, B, H_out], c [K, L, B, H] or None,
    y [K, B, O] or None, their pointers, and an atomic counter of the steps handed out."""

    def __init__(self, plan: _StepPlan, count: int) -> None:
        ffi, dtype = plan.ffi, plan.dtype
        self.count = count
        self.taken = itertools.count()  # next() is atomic: two threads never get the same step
        shapes = (plan.out_shape, plan.h_shape, plan.c_shape, plan.y_shape)
        self.arrays = [None if shape is None else np.empty((count, *shape), dtype) for shape in shapes]
        self.pointers = [plan.null if a is None else ffi.from_buffer(plan.c_type, a) for a in self.arrays]
        self.sizes = (plan.out_size, plan.h_size, plan.c_size, plan.y_size)


class _StepPlan:
    """What the fast step of one net at one batch size needs, worked out once: shapes, counts, the cffi type,
    and the pool the outputs come from."""

    def __init__(self, net: CNet, batch: int) -> None:
        model = net.model
        self.ffi, _ = load_library()
        self.null = self.ffi.NULL
        self.c_type = self.ffi.typeof("float[]" if net.dtype == np.float32 else "double[]")
        self.dtype = net.dtype
        self.out_shape = (batch, model.output_size)
        self.h_shape = (model.num_layers, batch, model.output_size)
        self.c_shape = (model.num_layers, batch, model.hidden_size) if model.cell == "lstm" else None
        self.y_shape = (batch, model.head.size) if model.head is not None else None
        self.out_size = batch * model.output_size
        self.h_size = model.num_layers * self.out_size
        self.c_size = model.num_layers * batch * model.hidden_size if self.c_shape is not None else 0
        self.y_size = batch * model.head.size if model.head is not None else 0
        step_bytes = (self.out_size + self.h_size + self.c_size + self.y_size) * net.dtype.itemsize
        self.pool_steps = max(1, STEP_POOL_BYTES // step_bytes)
        self.pool = _StepPool(self, self.pool_steps)

    def pointer(self, array: Any, shape: tuple[int, ...] | None) -> Any:
        """A pointer to ``array`` when it is a C-contiguous array of the net's dtype and ``shape``, else None."""
        if (
            type(array) is not np.ndarray
            or array.shape != shape
            or array.dtype is not self.dtype
            or not array.flags.c_contiguous
        ):
            return None
        return self.ffi.from_buffer(self.c_type, array)

    def outputs(self) -> tuple[Any, Any, Any, Any, list[Any]]:
        """``(out_t, h_next, c_next, y_t, their four pointers)`` for one step: fresh views of the pool."""
        pool = self.pool
        index = next(pool.taken)
        if index >= pool.count:
            pool = self.pool = _StepPool(self, self.pool_steps)
            index = next(pool.taken)
        out, h, c, y = pool.arrays
        p_out, p_h, p_c, p_y = pool.pointers
        n_out, n_h, n_c, n_y = pool.sizes
        pointers = [
            p_out + index * n_out,
            p_h + index * n_h,
            p_c if c is None else p_c + index * n_c,
            p_y if y is None else p_y + index * n_y,
        ]
        return out[index], h[index], None if c is None else c[index], None if y is None else y[index], pointers


MERGES = {"concat": "RR_MERGE_CONCAT", "sum": "RR_MERGE_SUM", "mul": "RR_MERGE_MUL", "ave": "RR_MERGE_AVE"}
ACTIVATIONS = {
    "identity": "RR_ACT_IDENTITY",
    "softmax": "RR_ACT_SOFTMAX",
    "tanh": "RR_ACT_TANH",
    "sigmoid": "RR_ACT_SIGMOID",
    "relu": "RR_ACT_RELU",
}


def _chain_config(call: CCall, chain: Chain, dtype: np.dtype, kernel: str, threads: int) -> tuple[Any, list[Any]]:
    """``(rr_chain_config *, the cffi arrays it points to)``; keep both alive for the call."""
    ffi, lib = call.ffi, call.lib
    layers = ffi.new("rr_layer_config[]", len(chain.layers))
    for index, (layer, merge) in enumerate(zip(chain.layers, chain.merges, strict=True)):
        one = _config(call, layer, dtype, kernel, threads)
        target = layers[index]
        for name in ("cell", "nonlinearity", "linear_before_reset", "hidden_size", "direction", "proj_size"):
            setattr(target, name, getattr(one, name))
        target.peepholes, target.has_clip, target.clip = one.peepholes, one.has_clip, one.clip
        target.merge = getattr(lib, MERGES[merge])
    dense = ffi.new("rr_dense_config[]", max(1, len(chain.dense)))
    for index, layer in enumerate(chain.dense):
        dense[index].size = layer.size
        dense[index].activation = getattr(lib, ACTIVATIONS[layer.activation])
    cfg = ffi.new("rr_chain_config *")
    cfg.input_size = chain.input_size
    cfg.vocab_size = 0 if chain.embedding is None else chain.embedding.vocab_size
    cfg.num_layers = len(chain.layers)
    cfg.layers = layers
    cfg.num_dense = len(chain.dense)
    cfg.dense = dense if chain.dense else ffi.NULL
    cfg.readout = lib.RR_READOUT_LAST if chain.readout == "last" else lib.RR_READOUT_SEQUENCE
    cfg.dtype = lib.RR_FLOAT32 if dtype == np.float32 else lib.RR_FLOAT64
    cfg.kernel = getattr(lib, KERNEL_CONSTANTS[kernel])
    cfg.num_threads = threads
    return cfg, [layers, dense]


class CTape:
    """An ``rr_chain_tape *`` (freed with the object) and the shape of the forward that made it."""

    def __init__(self, handle: Any, chain: Any, steps: int, batch: int, takes_tokens: bool) -> None:
        self.handle = handle
        self.chain = chain  # the rr_chain the tape was made by, kept alive as long as the tape
        self.steps = steps
        self.batch = batch
        self.takes_tokens = takes_tokens


class CChainNet(ChainNet):
    """A chain on ``rr_chain``: one C net per recurrent layer, merges, readout and dense layers in C.

    Backward: ``rr_chain_forward_keep`` keeps an ``rr_chain_tape``; ``rr_chain_backward`` fills one flat
    ``[P]`` gradient, cut into ``Gradients.weights`` by the paths ``rr_chain_param_info`` gives.
    """

    backend = "c"
    kernels = KERNELS
    supports_backward = True

    def __init__(self, chain: Chain, dtype: str = "float64", kernel: str = "auto", threads: int = 1) -> None:
        super().__init__(chain, dtype, kernel)
        call = CCall()
        ffi, lib = call.ffi, call.lib
        cfg, keep = _chain_config(call, chain, self.dtype, kernel, threads)
        out = ffi.new("rr_chain **")
        call.check(lib.rr_chain_create(cfg, out, call.err))
        del keep
        self._chain_c = ffi.gc(out[0], lib.rr_chain_free)
        sizes = ffi.new("rr_chain_sizes *")
        call.check(lib.rr_chain_get_sizes(self._chain_c, sizes, call.err))
        self._sizes = sizes
        if chain.embedding is not None:
            weight = _contiguous(chain.embedding.weight)
            call.check(lib.rr_chain_set_embedding(self._chain_c, *call.reals(weight), call.err))
        for index, layer in enumerate(chain.layers):
            for name, weights in layer.layers[0].directions():
                which = lib.RR_REVERSE if name == "reverse" else lib.RR_FORWARD
                self._set_weights(call, index, which, weights)
        for index, dense in enumerate(chain.dense):
            weight, bias = _contiguous(dense.weight), _contiguous(dense.bias)
            call.check(lib.rr_chain_set_dense(self._chain_c, index, *call.reals(weight), *call.reals(bias), call.err))
        f32 = self.dtype == np.float32
        self._forward_fn = lib.rr_chain_forward_f32 if f32 else lib.rr_chain_forward
        self._step_fn = lib.rr_chain_step_f32 if f32 else lib.rr_chain_step
        self._keep_fn = lib.rr_chain_forward_keep_f32 if f32 else lib.rr_chain_forward_keep
        self._backward_fn = lib.rr_chain_backward_f32 if f32 else lib.rr_chain_backward
        self._params = self._param_table(call)

    def _param_table(self, call: CCall) -> list[tuple[str, int, tuple[int, ...]]]:
        """``(dotted path, offset in [P], shape)`` of every weight array, in the library's chain order."""
        ffi, lib = call.ffi, call.lib
        shapes = {path: array.shape for path, array in chain_weights(self.chain).items()}
        path, offset, count = ffi.new("char **"), ffi.new("size_t *"), ffi.new("size_t *")
        table = []
        for k in range(lib.rr_chain_num_params(self._chain_c)):
            call.check(lib.rr_chain_param_info(self._chain_c, k, path, offset, count, call.err))
            name = ffi.string(path[0]).decode()
            shape = shapes.get(name)
            if shape is None or int(np.prod(shape)) != count[0]:
                raise BackendError(
                    "c", f"rr_chain_param_info gives {name} with {count[0]} numbers; the chain has {shape}"
                )
            table.append((name, int(offset[0]), shape))
        if len(table) != len(shapes):
            raise BackendError("c", f"rr_chain_param_info lists {len(table)} arrays; the chain has {len(shapes)}")
        return table

    @property
    def kernel_name(self) -> str:
        ffi, lib = load_library()
        return str(ffi.string(lib.rr_chain_kernel_name(self._chain_c)).decode())

    def _set_weights(self, call: CCall, layer: int, which: int, weights: DirectionWeights) -> None:
        c_weights, keep = _c_weights(call, weights)
        call.check(call.lib.rr_chain_set_weights(self._chain_c, layer, which, c_weights, call.err))
        del keep

    def _result_buffers(self, steps: int, batch: int) -> FlatResult:
        """Empty ``(output [T, B, W], h_n flat, c_n flat or None, y or None)`` for one call to fill."""
        sizes, dtype = self._sizes, self.dtype
        output = np.empty((steps, batch, sizes.output_width), dtype)
        h_n = np.empty(batch * sizes.state_size, dtype)
        c_n = np.empty(batch * sizes.cell_state_size, dtype) if sizes.cell_state_size else None
        y = None
        if sizes.y_size:
            lead = (batch,) if self.chain.readout == "last" else (steps, batch)
            y = np.empty((*lead, sizes.y_size), dtype)
        return output, h_n, c_n, y

    def _forward_flat(
        self,
        inputs: np.ndarray,
        h0_flat: np.ndarray | None,
        c0_flat: np.ndarray | None,
        lengths: np.ndarray | None,
    ) -> FlatResult:
        steps, batch = inputs.shape[0], inputs.shape[1]
        tokens = inputs if inputs.dtype == np.int64 else None
        x = None if tokens is not None else inputs
        output, h_n, c_n, y = self._result_buffers(steps, batch)
        call = CCall()
        if steps == 1 and lengths is None and self._sizes.all_forward:
            # one step (what ChainNet.step asks for): the streaming entry point, equal to forward with T = 1
            status = self._step_fn(
                self._chain_c, batch, *call.reals(x), *call.int64s(tokens),
                *call.reals(h0_flat), *call.reals(c0_flat),
                *call.reals(output), *call.reals(h_n), *call.reals(c_n), *call.reals(y),
                call.err,
            )  # fmt: skip
        else:
            status = self._forward_fn(
                self._chain_c, steps, batch, *call.reals(x), *call.int64s(tokens),
                *call.reals(h0_flat), *call.reals(c0_flat), *call.int64s(lengths),
                *call.reals(output), *call.reals(h_n), *call.reals(c_n), *call.reals(y),
                call.err,
            )  # fmt: skip
        call.check(status)
        return output, h_n, c_n, y

    def _keep_forward(
        self,
        inputs: np.ndarray,
        h0_flat: np.ndarray | None,
        c0_flat: np.ndarray | None,
        lengths: np.ndarray | None,
    ) -> tuple[CTape, FlatResult]:
        """``rr_chain_forward_keep``: the tape, and the forward's result (the same bits as ``rr_chain_forward``)."""
        steps, batch = inputs.shape[0], inputs.shape[1]
        tokens = inputs if inputs.dtype == np.int64 else None
        x = None if tokens is not None else inputs
        output, h_n, c_n, y = self._result_buffers(steps, batch)
        call = CCall()
        handle = call.ffi.new("rr_chain_tape **")
        status = self._keep_fn(
            self._chain_c, steps, batch, *call.reals(x), *call.int64s(tokens),
            *call.reals(h0_flat), *call.reals(c0_flat), *call.int64s(lengths),
            *call.reals(output), *call.reals(h_n), *call.reals(c_n), *call.reals(y),
            handle, call.err,
        )  # fmt: skip
        call.check(status)
        tape = call.ffi.gc(handle[0], call.lib.rr_chain_tape_free)
        return CTape(tape, self._chain_c, steps, batch, tokens is not None), (output, h_n, c_n, y)

    def _backward_flat(
        self,
        tape: CTape,
        d_output: np.ndarray | None,
        d_h_n: list[np.ndarray],
        d_c_n: list[np.ndarray],
        d_y: np.ndarray | None,
    ) -> Gradients:
        sizes, dtype, chain = self._sizes, self.dtype, self.chain
        steps, batch = tape.steps, tape.batch
        dh_flat = join_slots(d_h_n, dtype)
        dc_flat = join_slots(d_c_n, dtype) if sizes.cell_state_size else None
        d_weights = np.empty(self._sizes_param_count(), dtype)
        d_x = None if tape.takes_tokens else np.empty((steps, batch, sizes.input_size), dtype)
        d_h0 = np.empty(batch * sizes.state_size, dtype)
        d_c0 = np.empty(batch * sizes.cell_state_size, dtype) if sizes.cell_state_size else None
        call = CCall()
        status = self._backward_fn(
            self._chain_c, tape.handle,
            *call.reals(_contiguous_as(d_output, dtype)), *call.reals(dh_flat), *call.reals(dc_flat),
            *call.reals(_contiguous_as(d_y, dtype)),
            *call.reals(d_weights), *call.reals(d_x), *call.reals(d_h0), *call.reals(d_c0),
            call.err,
        )  # fmt: skip
        call.check(status)
        weights = {
            path: d_weights[offset : offset + int(np.prod(shape))].reshape(shape)
            for path, offset, shape in self._params
        }
        h0 = [s.copy() for s in split_slots(d_h0, batch, chain.state_sizes)]
        c0 = None if d_c0 is None else [s.copy() for s in split_slots(d_c0, batch, chain.cell_state_sizes)]
        return Gradients(weights=weights, x=d_x, h0=h0, c0=c0)

    def _sizes_param_count(self) -> int:
        _, lib = load_library()
        return int(lib.rr_chain_param_count(self._chain_c))


def _contiguous_as(array: np.ndarray | None, dtype: np.dtype) -> np.ndarray | None:
    """A C-contiguous copy-if-needed in the net's dtype, for a gradient crossing into the library."""
    return None if array is None else np.ascontiguousarray(array, dtype=dtype)


class CBackend:
    name = "c"

    @property
    def kernels(self) -> tuple[str, ...]:
        """The kernels this machine runs (:func:`available_kernels`); all of :data:`KERNELS` when the
        library is not built, so that loading says why."""
        try:
            return available_kernels()
        except BackendUnavailable:
            return KERNELS

    def why_unavailable(self) -> str | None:
        try:
            load_library()
        except BackendUnavailable as exc:
            return str(exc)
        return None

    def load(
        self, model: Model | Chain, dtype: str = "float64", kernel: str = "auto", threads: int = 1
    ) -> CNet | CChainNet:
        """``threads`` = 2 lets the library use a second thread for the large products; a
        :class:`Chain` gives a :class:`CChainNet`."""
        if isinstance(model, Chain):
            return CChainNet(model, dtype, kernel, threads)
        return CNet(model, dtype, kernel, threads)
