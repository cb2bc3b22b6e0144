"""The C backend: ``c/build/librnn_rosetta.so`` through cffi (ABI mode).

The declarations come from ``c/include/rnn_rosetta.h`` itself, so the header
is the one source of truth. The library is opened once per process; cffi
releases the GIL for the duration of every call. The streaming step's fast
path alone calls the library through a compiled (API-mode) trampoline where
``make c-step-py`` built one (:mod:`rnn_rosetta.backends.c_step_call`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from _cffi_backend import from_buffer as cffi_from_buffer  # (c_type, array, writable): ffi.from_buffer, unwrapped
from numpy import ndarray

from rnn_rosetta import paths
from rnn_rosetta.backends.base import Net, State
from rnn_rosetta.backends.c_step import C_OR_H, COUNTS_ARE_EXACT, H_NEXT, LINK, RING, STATE, Y_T, StepPlan, getrefcount
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


#: The fast step keeps plans for this many shapes of x_t at most (then starts again).
MAX_STEP_PLANS = 16

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
        self._step_plans: dict[tuple[int, ...], StepPlan] = {}  # the fast step's, by the shape of x_t
        self._step_call_mode: str | None = None  # how plans call C: None the best there is (c_step_call), or a mode

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
        """:meth:`Net.step`, with a fast path for the plain streaming loop ``y, s = net.step(x, s)``.

        The fast path takes x_t a C-contiguous ``[B, I]`` array of the net's dtype and a state that is None, a
        State an earlier step of this net returned, or a State of C-contiguous arrays of the right shapes and
        dtype; it crosses into C once, with 2 arguments (:mod:`rnn_rosetta.backends.c_step`). Anything else goes
        through :meth:`Net.step`'s checks and conversions, and so does a step the library refuses, which then
        raises the one-line error.

        The arrays it returns (y_t, and the State's h and c) are never written again while anything refers to
        them, to that State, or to a view or buffer of them: a step writes only output sets nobody holds, and
        takes new ones when all are held.
        """
        if type(x_t) is ndarray:
            try:
                plan = self._step_plans[x_t.shape]
            except KeyError:  # a new shape, or not [B, I] of this net
                return self._step_new_shape(x_t, state)
            if x_t.dtype is plan.dtype:
                last = plan.last
                if state is last[STATE]:  # the plain loop: the state the last step returned
                    target, bound = last[LINK]
                elif state is None:
                    target, bound = plan.start
                else:
                    return self._step_general(plan, x_t, state)
                # claim the target (its State and y_t bound here), then count who else holds it
                out_state, y_t = target[STATE], target[Y_T]
                held = getrefcount(out_state) + getrefcount(y_t) + getrefcount(target[H_NEXT])
                if held + getrefcount(target[C_OR_H]) != plan.free_count:
                    return self._step_general(plan, x_t, state)
                try:
                    x_ptr = cffi_from_buffer(plan.c_type, x_t, False)
                except ValueError:  # not C-contiguous: Net.step copies it
                    return super().step(x_t, state)
                if plan.fn(bound, x_ptr) == 0:
                    plan.last = target
                    return y_t, out_state
                return super().step(x_t, state)  # refused: Net.step checks and raises the library's message
        return self._step_new_shape(x_t, state)

    def _step_general(self, plan: StepPlan, x_t: np.ndarray, state: Any) -> tuple[np.ndarray, State]:
        """The fast step when the plain loop's lookup does not apply or its target is held: from the State of
        one of the plan's records (or None) through that record's link, first putting a new record in place of
        a held target (:meth:`StepPlan.splice`); from the caller's own arrays into a free record, by
        ``rr_net_step``. Anything else, and every refusal, goes to :meth:`Net.step`."""
        last = plan.last
        source = last if state is last[STATE] else None if state is None else plan.by_id.get(id(state))
        if source is None and state is not None:
            return self._step_from_arrays(plan, x_t, state)
        target, bound = plan.start if source is None else source[LINK]
        out_state, y_t = target[STATE], target[Y_T]
        if plan.calibrate(target) != plan.free_count + 2:  # + 2: out_state and y_t here
            target, bound = plan.splice(source, target)  # a new record: nobody else has it
            out_state, y_t = target[STATE], target[Y_T]
        try:
            x_ptr = cffi_from_buffer(plan.c_type, x_t, False)
        except ValueError:
            return super().step(x_t, state)
        if plan.fn(bound, x_ptr) != 0:
            return super().step(x_t, state)
        plan.last = target
        return y_t, out_state

    def _step_from_arrays(self, plan: StepPlan, x_t: np.ndarray, state: Any) -> tuple[np.ndarray, State]:
        """A step from a state of the caller's own C-contiguous arrays of the net's dtype and shapes, or of a
        record no plan links to any more, into a free record: ``rr_net_step`` with every pointer."""
        pointers = plan.state_pointers(state)
        target = plan.free_record()
        if pointers is None or target is None:
            return super().step(x_t, state)
        out_state, y_t = target[STATE], target[Y_T]
        if plan.calibrate(target) != plan.free_count + 2:
            return super().step(x_t, state)  # another thread took it meanwhile
        try:
            x_ptr = cffi_from_buffer(plan.c_type, x_t, False)
        except ValueError:
            return super().step(x_t, state)
        batch = x_t.shape[0]
        if self._step_fn(self._net, batch, x_ptr, x_t.size, *pointers, *plan.pointers_of(target), plan.null) != 0:
            return super().step(x_t, state)
        plan.last = target
        return y_t, out_state

    def _step_new_shape(self, x_t: Any, state: Any) -> tuple[np.ndarray, State]:
        """The first step at a shape of x_t: its plan, then the fast step; else :meth:`Net.step`."""
        model = self.model
        if (
            type(x_t) is np.ndarray
            and x_t.dtype is self.dtype
            and x_t.ndim == 2
            and x_t.shape[0] >= 1
            and x_t.shape[1] == model.input_size
            and model.direction == "forward"
            and x_t.shape not in self._step_plans
            and COUNTS_ARE_EXACT
        ):
            if len(self._step_plans) >= MAX_STEP_PLANS:
                self._step_plans.clear()  # a caller of many batch sizes: states of the old plans still work
            ffi, lib = load_library()
            plan = StepPlan(ffi, lib, self._net, model, self.dtype, x_t.shape[0], self._step_call_mode)
            self._step_plans[x_t.shape] = plan
            return self.step(x_t, state)
        return super().step(x_t, state)

    def _fast_step_pool_steps(self, batch: int) -> int:
        """How many output sets the fast step cycles through before it writes one again (for the tests)."""
        return RING

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
