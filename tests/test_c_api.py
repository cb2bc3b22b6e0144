"""The C API called directly (cffi, ABI mode), with every kind of bad argument.

The contract of c/include/rnn_rosetta.h: every failure is a status code with one line in
err->message naming the argument, never a crash, an abort or a print; err may be NULL.
Each refusal below is checked for its status name and for a message that names the
argument (as a whole word), and then made again with err = NULL.

Sizes are size_t, so a "negative" size is what C sees for -1: SIZE_MAX. Under the
sanitizers (nox -s sanitize) this module runs against c/build-san/ with ASan/UBSan
preloaded: an out-of-bounds read or write that a refusal should have prevented is a
failure there even when the status looks right here.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import pytest

from rnn_rosetta import paths
from rnn_rosetta.backends.c_backend import header_declarations
from tests.conftest import require_backend

SIZE_MAX = 2**64 - 1
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


@lru_cache(maxsize=1)
def _open() -> tuple[Any, Any]:
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(header_declarations(paths.c_header().read_text("utf-8")))
    ffi.cdef("void *malloc(size_t size); void free(void *ptr);")
    return ffi, ffi.dlopen(str(paths.c_library()))


@lru_cache(maxsize=1)
def _malloc_allocator() -> Any:
    """``ffi.new`` through C's malloc: under ASan every buffer gets red zones, so a read or
    write past the count a call was given is reported (cffi's own allocator is pymalloc)."""
    ffi, _ = _open()
    libc = ffi.dlopen(None)
    return ffi.new_allocator(alloc=libc.malloc, free=libc.free, should_clear_after_alloc=True)


@pytest.fixture(scope="module")
def api() -> tuple[Any, Any]:
    require_backend("c")
    return _open()


# -- models ---------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """A model's configuration, in the API's terms."""

    cell: str = "gru"
    input_size: int = 2
    hidden_size: int = 3
    num_layers: int = 1
    direction: str = "forward"
    proj_size: int = 0
    peepholes: bool = False
    head_size: int = 0  # 0 = no head
    dtype: str = "f64"

    @property
    def D(self) -> int:
        return 2 if self.direction == "bidirectional" else 1

    @property
    def G(self) -> int:
        return GATES[self.cell]

    @property
    def H_out(self) -> int:
        return self.proj_size or self.hidden_size

    def layer_input(self, layer: int) -> int:
        return self.input_size if layer == 0 else self.D * self.H_out

    def slots(self) -> list[tuple[int, str]]:
        """(layer, which) of every weight slot, in state order."""
        names = {"forward": ["forward"], "reverse": ["reverse"], "bidirectional": ["forward", "reverse"]}
        return [(layer, which) for layer in range(self.num_layers) for which in names[self.direction]]


LSTM = Spec(cell="lstm", input_size=3, hidden_size=4, num_layers=2, proj_size=2, peepholes=True, head_size=2)
BIDI = Spec(cell="lstm", input_size=2, hidden_size=3, num_layers=2, direction="bidirectional", head_size=3)
GRU = Spec()
REVERSE = Spec(cell="rnn", direction="reverse")


def _enum(lib: Any, kind: str, name: str) -> int:
    table = {
        "cell": {"rnn": lib.RR_CELL_RNN, "lstm": lib.RR_CELL_LSTM, "gru": lib.RR_CELL_GRU},
        "direction": {"forward": lib.RR_FORWARD, "reverse": lib.RR_REVERSE, "bidirectional": lib.RR_BIDIRECTIONAL},
        "dtype": {"f64": lib.RR_FLOAT64, "f32": lib.RR_FLOAT32},
    }
    return int(table[kind][name])


def config(api: tuple[Any, Any], spec: Spec, **raw: Any) -> Any:
    """An rr_config for ``spec``, then the raw field values in ``raw`` (for bad values)."""
    ffi, lib = api
    cfg = ffi.new("rr_config *")
    cfg.cell = _enum(lib, "cell", spec.cell)
    cfg.nonlinearity = lib.RR_TANH
    cfg.linear_before_reset = 1 if spec.cell == "gru" else 0
    cfg.input_size = spec.input_size
    cfg.hidden_size = spec.hidden_size
    cfg.num_layers = spec.num_layers
    cfg.direction = _enum(lib, "direction", spec.direction)
    cfg.proj_size = spec.proj_size
    cfg.peepholes = int(spec.peepholes)
    cfg.head = lib.RR_HEAD_SOFTMAX if spec.head_size else lib.RR_HEAD_NONE
    cfg.head_size = spec.head_size
    cfg.dtype = _enum(lib, "dtype", spec.dtype)
    for name, value in raw.items():
        setattr(cfg, name, value)
    return cfg


class Arrays:
    """Buffers that live as long as this object (cffi frees them with it)."""

    def __init__(self, api: tuple[Any, Any], real: str = "double") -> None:
        self.ffi, self.real = api[0], real
        self.keep: list[Any] = []

    def buf(self, count: int, ctype: str | None = None, values: list[float] | None = None) -> tuple[Any, int]:
        """(pointer, count): a zeroed buffer of exactly ``count`` elements (count 0: 1 element)."""
        pointer = _malloc_allocator()(f"{ctype or self.real}[]", values if values is not None else max(count, 1))
        self.keep.append(pointer)
        return pointer, count

    def lengths(self, values: list[int]) -> tuple[Any, int]:
        return self.buf(len(values), "int64_t", values)


def weights(api: tuple[Any, Any], spec: Spec, layer: int, arrays: Arrays, **changes: tuple[Any, int]) -> Any:
    """A correct rr_weights for one slot of ``layer``, with ``changes`` (name -> (pointer, len))."""
    ffi = api[0]
    gh = spec.G * spec.hidden_size
    good = {
        "weight_ih": arrays.buf(gh * spec.layer_input(layer)),
        "weight_hh": arrays.buf(gh * spec.H_out),
        "bias_ih": arrays.buf(gh),
        "bias_hh": arrays.buf(gh),
        "weight_hr": arrays.buf(spec.proj_size * spec.hidden_size) if spec.proj_size else (ffi.NULL, 0),
        "peepholes": arrays.buf(3 * spec.hidden_size) if spec.peepholes else (ffi.NULL, 0),
    }
    good.update(changes)
    w = ffi.new("rr_weights *")
    for name, (pointer, count) in good.items():
        setattr(w, name, pointer)
        setattr(w, f"{name}_len", count)
    arrays.keep.append(w)
    return w


def create(api: tuple[Any, Any], spec: Spec) -> Any:
    """A net with no weights yet (freed by the garbage collector)."""
    ffi, lib = api
    out = ffi.new("rr_net **")
    err = ffi.new("rr_error *")
    status = lib.rr_net_create(config(api, spec), out, err)
    assert status == lib.RR_OK, ffi.string(err.message).decode()
    return ffi.gc(out[0], lib.rr_net_free)


def ready(api: tuple[Any, Any], spec: Spec, *, skip_slot: int | None = None, head: bool = True) -> Any:
    """A net with every weight slot (but ``skip_slot``) and, when ``head``, the head set."""
    ffi, lib = api
    net = create(api, spec)
    arrays = Arrays(api)
    err = ffi.new("rr_error *")
    for index, (layer, which) in enumerate(spec.slots()):
        if index == skip_slot:
            continue
        direction = lib.RR_REVERSE if which == "reverse" else lib.RR_FORWARD
        status = lib.rr_net_set_weights(net, layer, direction, weights(api, spec, layer, arrays), err)
        assert status == lib.RR_OK, ffi.string(err.message).decode()
    if spec.head_size and head:
        width = spec.D * spec.H_out
        status = lib.rr_net_set_head(net, *arrays.buf(spec.head_size * width), *arrays.buf(spec.head_size), err)
        assert status == lib.RR_OK, ffi.string(err.message).decode()
    return net


# -- the refusal check ----------------------------------------------------------


def refuses(
    api: tuple[Any, Any], call: Callable[[Any], int], status: str, *words: str, exact: str | None = None
) -> str:
    """``call(err)`` returns ``status`` with a one-line message containing every word of
    ``words`` as a whole word; ``call(NULL)`` returns it too. Returns the message."""
    ffi, lib = api
    err = ffi.new("rr_error *")
    got = ffi.string(lib.rr_status_name(call(err))).decode()
    message = ffi.string(err.message).decode()
    assert got == status, f"expected {status}, got {got}: {message!r}"
    assert message and "\n" not in message and len(message) < 256, repr(message)
    for word in words:
        assert re.search(rf"(?<!\w){re.escape(word)}(?!\w)", message), f"{word!r} not named in {message!r}"
    if exact is not None:
        assert exact in message, message
    again = ffi.string(lib.rr_status_name(call(ffi.NULL))).decode()
    assert again == status, f"with err = NULL: {again}"
    return message


# -- status names, version ------------------------------------------------------


def test_status_names_and_messages(api: tuple[Any, Any]) -> None:
    ffi, lib = api
    for name in ("RR_OK", "RR_E_NULL", "RR_E_SIZE", "RR_E_SHAPE", "RR_E_CONFIG", "RR_E_LENGTHS",
                 "RR_E_UNSUPPORTED", "RR_E_NOMEM", "RR_E_STATE", "RR_E_TOKENS"):  # fmt: skip
        value = getattr(lib, name)
        assert ffi.string(lib.rr_status_name(value)).decode() == name
        assert ffi.string(lib.rr_status_message(value))
    for unknown in (10, 99, 2**31 - 1):
        assert ffi.string(lib.rr_status_name(unknown)).decode() == "RR_E_UNKNOWN"
        assert ffi.string(lib.rr_status_message(unknown)).decode()
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", ffi.string(lib.rr_version()).decode())


# -- rr_net_create ---------------------------------------------------------------


def test_create_null_pointers(api: tuple[Any, Any]) -> None:
    ffi, lib = api
    out = ffi.new("rr_net **")
    refuses(api, lambda err: lib.rr_net_create(config(api, GRU), ffi.NULL, err), "RR_E_NULL", "out")
    refuses(api, lambda err: lib.rr_net_create(ffi.NULL, out, err), "RR_E_NULL", "cfg")
    assert out[0] == ffi.NULL


def test_free_null_is_a_no_op(api: tuple[Any, Any]) -> None:
    api[1].rr_net_free(api[0].NULL)


BAD_CONFIGS: list[tuple[str, Spec, dict[str, Any], str, tuple[str, ...]]] = [
    # (id, spec, raw field values, status, words the message must name)
    ("cell_3", GRU, {"cell": 3}, "RR_E_CONFIG", ("cell",)),
    ("cell_huge", GRU, {"cell": 2**31 - 1}, "RR_E_CONFIG", ("cell",)),
    ("nonlinearity_2", Spec(cell="rnn"), {"nonlinearity": 2}, "RR_E_CONFIG", ("nonlinearity",)),
    ("relu_on_lstm", Spec(cell="lstm"), {"nonlinearity": 1}, "RR_E_CONFIG", ("nonlinearity",)),
    ("direction_3", GRU, {"direction": 3}, "RR_E_CONFIG", ("direction",)),
    ("head_3", GRU, {"head": 3, "head_size": 2}, "RR_E_CONFIG", ("head",)),
    ("dtype_2", GRU, {"dtype": 2}, "RR_E_CONFIG", ("dtype",)),
    ("kernel_5", GRU, {"kernel": 5}, "RR_E_CONFIG", ("kernel",)),
    ("num_threads_3", GRU, {"num_threads": 3}, "RR_E_CONFIG", ("num_threads",)),
    ("num_threads_size_max", GRU, {"num_threads": SIZE_MAX}, "RR_E_CONFIG", ("num_threads",)),
    ("linear_before_reset_2", GRU, {"linear_before_reset": 2}, "RR_E_CONFIG", ("linear_before_reset",)),
    ("linear_before_reset_negative", GRU, {"linear_before_reset": -1}, "RR_E_CONFIG", ("linear_before_reset",)),
    ("peepholes_2", Spec(cell="lstm"), {"peepholes": 2}, "RR_E_CONFIG", ("peepholes",)),
    ("peepholes_on_gru", GRU, {"peepholes": 1}, "RR_E_CONFIG", ("peepholes",)),
    ("has_clip_2", GRU, {"has_clip": 2, "clip": 1.0}, "RR_E_CONFIG", ("has_clip",)),
    ("clip_zero", GRU, {"has_clip": 1, "clip": 0.0}, "RR_E_CONFIG", ("clip",)),
    ("clip_negative", GRU, {"has_clip": 1, "clip": -3.0}, "RR_E_CONFIG", ("clip",)),
    ("clip_nan", GRU, {"has_clip": 1, "clip": math.nan}, "RR_E_CONFIG", ("clip",)),
    ("clip_inf", GRU, {"has_clip": 1, "clip": math.inf}, "RR_E_CONFIG", ("clip",)),
    ("proj_on_gru", GRU, {"proj_size": 1}, "RR_E_CONFIG", ("proj_size",)),
    ("proj_equal_hidden", Spec(cell="lstm"), {"proj_size": 3}, "RR_E_CONFIG", ("proj_size",)),
    ("proj_size_max", Spec(cell="lstm"), {"proj_size": SIZE_MAX}, "RR_E_CONFIG", ("proj_size",)),
    ("head_size_without_head", GRU, {"head_size": 4}, "RR_E_CONFIG", ("head_size",)),
    ("head_without_head_size", GRU, {"head": 1, "head_size": 0}, "RR_E_SIZE", ("head_size",)),
    ("input_size_zero", GRU, {"input_size": 0}, "RR_E_SIZE", ("input_size",)),
    ("hidden_size_zero", GRU, {"hidden_size": 0}, "RR_E_SIZE", ("hidden_size",)),
    ("num_layers_zero", GRU, {"num_layers": 0}, "RR_E_SIZE", ("num_layers",)),
    # "negative" sizes are SIZE_MAX to C: every product with them overflows
    ("input_size_negative", GRU, {"input_size": SIZE_MAX}, "RR_E_SIZE", ("overflows", f"I={SIZE_MAX}")),
    ("hidden_size_negative", GRU, {"hidden_size": SIZE_MAX}, "RR_E_SIZE", ("overflows", f"H={SIZE_MAX}")),
    ("head_size_negative", Spec(head_size=1), {"head_size": SIZE_MAX}, "RR_E_SIZE", ("overflows", f"O={SIZE_MAX}")),
    ("layers_times_directions", Spec(direction="bidirectional"), {"num_layers": 2**63}, "RR_E_SIZE",
     ("overflows", f"L={2**63}")),
    ("gates_times_hidden_times_input", Spec(cell="lstm"), {"hidden_size": 2**31, "input_size": 2**31},
     "RR_E_SIZE", ("overflows", f"I={2**31}")),
]  # fmt: skip


@pytest.mark.parametrize(("label", "spec", "raw", "status", "words"), BAD_CONFIGS, ids=[b[0] for b in BAD_CONFIGS])
def test_create_refuses_bad_config(
    api: tuple[Any, Any], label: str, spec: Spec, raw: dict[str, Any], status: str, words: tuple[str, ...]
) -> None:
    ffi, lib = api
    out = ffi.new("rr_net **")
    refuses(api, lambda err: lib.rr_net_create(config(api, spec, **raw), out, err), status, *words)
    assert out[0] == ffi.NULL, "a refused create must leave *out NULL"


def test_create_with_a_huge_layer_count_fails_cleanly(api: tuple[Any, Any]) -> None:
    """2^40 layers: no overflow, but the weight table cannot be allocated."""
    ffi, lib = api
    out = ffi.new("rr_net **")
    message = refuses(api, lambda err: lib.rr_net_create(config(api, GRU, num_layers=2**40), out, err), "RR_E_NOMEM")
    assert str(2**40) in message or "layers" in message, message
    assert out[0] == ffi.NULL


def test_kernel_avx2_is_refused_or_honoured(api: tuple[Any, Any]) -> None:
    ffi, lib = api
    out = ffi.new("rr_net **")
    err = ffi.new("rr_error *")
    status = lib.rr_net_create(config(api, GRU, kernel=lib.RR_KERNEL_AVX2), out, err)
    if lib.rr_cpu_has_avx2_fma():
        assert status == lib.RR_OK, ffi.string(err.message).decode()
        assert ffi.string(lib.rr_net_kernel_name(out[0])).decode() == "avx2-fma"
        lib.rr_net_free(out[0])
    else:
        assert ffi.string(lib.rr_status_name(status)).decode() == "RR_E_UNSUPPORTED"
        assert "kernel" in ffi.string(err.message).decode()


def test_kernel_name_of_null_net(api: tuple[Any, Any]) -> None:
    ffi, lib = api
    assert ffi.string(lib.rr_net_kernel_name(ffi.NULL))


# -- rr_net_set_weights ----------------------------------------------------------


def test_set_weights_null_net_and_weights(api: tuple[Any, Any]) -> None:
    ffi, lib = api
    arrays = Arrays(api)
    good = weights(api, GRU, 0, arrays)
    net = create(api, GRU)
    refuses(api, lambda err: lib.rr_net_set_weights(ffi.NULL, 0, lib.RR_FORWARD, good, err), "RR_E_NULL", "net")
    refuses(api, lambda err: lib.rr_net_set_weights(net, 0, lib.RR_FORWARD, ffi.NULL, err), "RR_E_NULL", "weights")


@pytest.mark.parametrize("layer", [2, 3, 2**32, SIZE_MAX])
def test_set_weights_layer_out_of_range(api: tuple[Any, Any], layer: int) -> None:
    _ffi, lib = api
    spec = replace(GRU, num_layers=2)
    net = create(api, spec)
    arrays = Arrays(api)
    good = weights(api, spec, 1, arrays)
    refuses(api, lambda err: lib.rr_net_set_weights(net, layer, lib.RR_FORWARD, good, err), "RR_E_SIZE", "layer")


@pytest.mark.parametrize(
    ("spec", "which"),
    [(GRU, "RR_REVERSE"), (REVERSE, "RR_FORWARD"), (GRU, "RR_BIDIRECTIONAL"), (BIDI, "RR_BIDIRECTIONAL"), (GRU, 7)],
    ids=["reverse_on_forward", "forward_on_reverse", "bidirectional_on_forward", "bidirectional_slot", "which_7"],
)
def test_set_weights_on_a_missing_direction(api: tuple[Any, Any], spec: Spec, which: str | int) -> None:
    _ffi, lib = api
    net = create(api, spec)
    arrays = Arrays(api)
    good = weights(api, spec, 0, arrays)
    value = getattr(lib, which) if isinstance(which, str) else which
    refuses(api, lambda err: lib.rr_net_set_weights(net, 0, value, good, err), "RR_E_CONFIG", "which")


WEIGHT_CASES: list[tuple[str, Spec, int, str, str, str]] = [
    # (id, spec, layer, array, what to do, status); the message must name weights-><array>
    ("weight_ih_null", GRU, 0, "weight_ih", "null", "RR_E_NULL"),
    ("weight_hh_null", GRU, 0, "weight_hh", "null", "RR_E_NULL"),
    ("bias_ih_null", GRU, 0, "bias_ih", "null", "RR_E_NULL"),
    ("bias_hh_null", GRU, 0, "bias_hh", "null", "RR_E_NULL"),
    ("weight_ih_short", GRU, 0, "weight_ih", "short", "RR_E_SHAPE"),
    ("weight_ih_long", GRU, 0, "weight_ih", "long", "RR_E_SHAPE"),
    ("weight_hh_short", GRU, 0, "weight_hh", "short", "RR_E_SHAPE"),
    ("bias_ih_zero_len", GRU, 0, "bias_ih", "zero", "RR_E_SHAPE"),
    ("bias_hh_long", GRU, 0, "bias_hh", "long", "RR_E_SHAPE"),
    ("layer1_weight_ih_as_layer0", replace(LSTM, num_layers=2), 1, "weight_ih", "layer0", "RR_E_SHAPE"),
    ("weight_hr_null_with_projection", LSTM, 0, "weight_hr", "null", "RR_E_NULL"),
    ("weight_hr_short", LSTM, 0, "weight_hr", "short", "RR_E_SHAPE"),
    ("weight_hr_without_projection", Spec(cell="lstm"), 0, "weight_hr", "given", "RR_E_CONFIG"),
    ("peepholes_null", LSTM, 0, "peepholes", "null", "RR_E_NULL"),
    ("peepholes_long", LSTM, 0, "peepholes", "long", "RR_E_SHAPE"),
    ("peepholes_without_peepholes", Spec(cell="lstm"), 0, "peepholes", "given", "RR_E_CONFIG"),
    ("null_with_nonzero_len", GRU, 0, "weight_hh", "null_len", "RR_E_NULL"),
]


@pytest.mark.parametrize(
    ("label", "spec", "layer", "name", "change", "status"), WEIGHT_CASES, ids=[c[0] for c in WEIGHT_CASES]
)
def test_set_weights_refuses_bad_arrays(
    api: tuple[Any, Any], label: str, spec: Spec, layer: int, name: str, change: str, status: str
) -> None:
    ffi, lib = api
    net = create(api, spec)
    arrays = Arrays(api)
    gh = spec.G * spec.hidden_size
    expected = {
        "weight_ih": gh * spec.layer_input(layer),
        "weight_hh": gh * spec.H_out,
        "bias_ih": gh,
        "bias_hh": gh,
        "weight_hr": spec.proj_size * spec.hidden_size,
        "peepholes": 3 * spec.hidden_size,
    }[name]
    value = {
        "null": (ffi.NULL, 0),
        "null_len": (ffi.NULL, expected),
        "short": arrays.buf(expected - 1),
        "long": arrays.buf(expected + 1),
        "zero": arrays.buf(0),
        "given": arrays.buf(6),
        "layer0": arrays.buf(gh * spec.input_size),
    }[change]
    bad = weights(api, spec, layer, arrays, **{name: value})
    words = (f"weights->{name}",) if change in ("null", "given", "null_len") else (f"weights->{name}_len",)
    refuses(api, lambda err: lib.rr_net_set_weights(net, layer, lib.RR_FORWARD, bad, err), status, *words)


# -- rr_net_set_head -------------------------------------------------------------


def test_set_head_refusals(api: tuple[Any, Any]) -> None:
    ffi, lib = api
    spec = replace(GRU, head_size=2)
    net = create(api, spec)
    arrays = Arrays(api)
    weight, bias = arrays.buf(2 * 3), arrays.buf(2)
    refuses(api, lambda err: lib.rr_net_set_head(ffi.NULL, *weight, *bias, err), "RR_E_NULL", "net")
    refuses(api, lambda err: lib.rr_net_set_head(net, ffi.NULL, 0, *bias, err), "RR_E_NULL", "weight")
    refuses(api, lambda err: lib.rr_net_set_head(net, *weight, ffi.NULL, 0, err), "RR_E_NULL", "bias")
    refuses(api, lambda err: lib.rr_net_set_head(net, *arrays.buf(5), *bias, err), "RR_E_SHAPE", "weight_len")
    refuses(api, lambda err: lib.rr_net_set_head(net, *weight, *arrays.buf(3), err), "RR_E_SHAPE", "bias_len")
    refuses(api, lambda err: lib.rr_net_set_head(net, *weight, *arrays.buf(0), err), "RR_E_SHAPE", "bias_len")
    headless = create(api, GRU)
    refuses(api, lambda err: lib.rr_net_set_head(headless, *weight, *bias, err), "RR_E_CONFIG", "head")


# -- rr_net_forward (and _f32) ---------------------------------------------------

T, B = 3, 2


def forward_arrays(spec: Spec, arrays: Arrays, seq_len: int = T, batch: int = B) -> dict[str, tuple[Any, int]]:
    """Correct arguments of rr_net_forward, by name (NULL, 0 where optional or absent)."""
    null = (arrays.ffi.NULL, 0)
    slots = spec.num_layers * spec.D
    lstm = spec.cell == "lstm"
    return {
        "x": arrays.buf(seq_len * batch * spec.input_size),
        "h0": arrays.buf(slots * batch * spec.H_out),
        "c0": arrays.buf(slots * batch * spec.hidden_size) if lstm else null,
        "lengths": arrays.lengths([seq_len] * batch),
        "output": arrays.buf(seq_len * batch * spec.D * spec.H_out),
        "h_n": arrays.buf(slots * batch * spec.H_out),
        "c_n": arrays.buf(slots * batch * spec.hidden_size) if lstm else null,
        "y": arrays.buf(seq_len * batch * spec.head_size) if spec.head_size else null,
    }


def call_forward(
    api: tuple[Any, Any], net: Any, spec: Spec, seq_len: int = T, batch: int = B, entry: str | None = None,
    **changes: tuple[Any, int],
) -> Callable[[Any], int]:  # fmt: skip
    """``err -> status`` of rr_net_forward(_f32) with correct arguments but ``changes``."""
    _ffi, lib = api
    arrays = Arrays(api, "float" if spec.dtype == "f32" else "double")
    args = forward_arrays(spec, arrays, min(seq_len, 8), min(batch, 8))
    args.update(changes)
    function = getattr(lib, entry or ("rr_net_forward_f32" if spec.dtype == "f32" else "rr_net_forward"))
    order = ("x", "h0", "c0", "lengths", "output", "h_n", "c_n", "y")

    def call(err: Any) -> int:
        flat = [value for name in order for value in args[name]]
        return int(function(net, seq_len, batch, *flat, err))

    call.arrays = arrays  # type: ignore[attr-defined]
    return call


PRECISIONS = ["f64", "f32"]


@pytest.fixture(params=PRECISIONS)
def dtype(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_forward_succeeds_with_correct_arguments(api: tuple[Any, Any], dtype: str) -> None:
    """The baseline the refusals below change one argument of."""
    ffi, lib = api
    for spec in (replace(LSTM, dtype=dtype), replace(BIDI, dtype=dtype), replace(GRU, dtype=dtype)):
        net = ready(api, spec)
        err = ffi.new("rr_error *")
        status = call_forward(api, net, spec)(err)
        assert status == lib.RR_OK, ffi.string(err.message).decode()


def test_forward_null_net(api: tuple[Any, Any], dtype: str) -> None:
    ffi, _lib = api
    spec = replace(GRU, dtype=dtype)
    refuses(api, call_forward(api, ffi.NULL, spec), "RR_E_NULL", "net")


def test_forward_before_weights_and_head(api: tuple[Any, Any], dtype: str) -> None:
    _ffi, _lib = api
    spec = replace(BIDI, dtype=dtype)
    refuses(api, call_forward(api, create(api, spec), spec), "RR_E_STATE", "rr_net_set_weights")
    message = refuses(api, call_forward(api, ready(api, spec, skip_slot=3), spec), "RR_E_STATE", "reverse", "1")
    assert "layer 1" in message, message
    refuses(api, call_forward(api, ready(api, spec, head=False), spec), "RR_E_STATE", "head", "rr_net_set_head")


def test_forward_wrong_precision_entry_point(api: tuple[Any, Any]) -> None:
    for spec, entry in ((GRU, "rr_net_forward_f32"), (replace(GRU, dtype="f32"), "rr_net_forward")):
        net = ready(api, spec)
        other = "rr_net_forward" if entry.endswith("f32") else "rr_net_forward_f32"
        wrong = replace(spec, dtype="f32" if entry.endswith("f32") else "f64")  # buffers of the entry point's type
        refuses(api, call_forward(api, net, wrong, entry=entry), "RR_E_CONFIG", other, "dtype")


def _forward_cases(spec: Spec) -> list[tuple[str, dict[str, Any], str, tuple[str, ...]]]:
    """(id, changes, status, words): ``changes`` maps an argument to a value maker."""
    slots = spec.num_layers * spec.D
    return [
        ("seq_len_zero", {"seq_len": 0}, "RR_E_SIZE", ("seq_len",)),
        ("batch_zero", {"batch": 0}, "RR_E_SIZE", ("batch",)),
        ("seq_len_negative", {"seq_len": SIZE_MAX}, "RR_E_SIZE", ("x", "overflows")),
        ("batch_negative", {"batch": SIZE_MAX}, "RR_E_SIZE", ("x", "overflows")),
        ("t_times_b_overflows", {"seq_len": 2**33, "batch": 2**31}, "RR_E_SIZE", ("x", "overflows")),
        ("x_null", {"x": "null"}, "RR_E_NULL", ("x",)),
        ("x_null_with_len", {"x": ("null", T * B * spec.input_size)}, "RR_E_NULL", ("x",)),
        ("x_short", {"x": T * B * spec.input_size - 1}, "RR_E_SHAPE", ("x_len",)),
        ("x_long", {"x": T * B * spec.input_size + 1}, "RR_E_SHAPE", ("x_len",)),
        ("x_zero_len", {"x": 0}, "RR_E_SHAPE", ("x_len",)),
        ("h0_short", {"h0": slots * B * spec.H_out - 1}, "RR_E_SHAPE", ("h0_len",)),
        ("h0_null_with_len", {"h0": ("null", slots * B * spec.H_out)}, "RR_E_SHAPE", ("h0",)),
        ("c0_long", {"c0": slots * B * spec.hidden_size + 1}, "RR_E_SHAPE", ("c0_len",)),
        ("lengths_short", {"lengths": [T]}, "RR_E_SHAPE", ("lengths_len",)),
        ("lengths_zero", {"lengths": [T, 0]}, "RR_E_LENGTHS", ("lengths[1]",)),
        ("lengths_negative", {"lengths": [-1, T]}, "RR_E_LENGTHS", ("lengths[0]",)),
        ("lengths_too_long", {"lengths": [T, T + 1]}, "RR_E_LENGTHS", ("lengths[1]",)),
        ("lengths_int64_min", {"lengths": [-(2**63), T]}, "RR_E_LENGTHS", ("lengths[0]",)),
        ("output_null", {"output": "null"}, "RR_E_NULL", ("output",)),
        ("output_short", {"output": T * B * spec.D * spec.H_out - 1}, "RR_E_SHAPE", ("output_len",)),
        ("h_n_null", {"h_n": "null"}, "RR_E_NULL", ("h_n",)),
        ("h_n_long", {"h_n": slots * B * spec.H_out + 1}, "RR_E_SHAPE", ("h_n_len",)),
        ("c_n_null", {"c_n": "null"}, "RR_E_NULL", ("c_n",)),
        ("c_n_short", {"c_n": slots * B * spec.hidden_size - 1}, "RR_E_SHAPE", ("c_n_len",)),
        ("y_null", {"y": "null"}, "RR_E_NULL", ("y",)),
        ("y_short", {"y": T * B * spec.head_size - 1}, "RR_E_SHAPE", ("y_len",)),
    ]


FORWARD_CASES = _forward_cases(LSTM)


@pytest.mark.parametrize(("label", "changes", "status", "words"), FORWARD_CASES, ids=[c[0] for c in FORWARD_CASES])
def test_forward_refuses(
    api: tuple[Any, Any], dtype: str, label: str, changes: dict[str, Any], status: str, words: tuple[str, ...]
) -> None:
    ffi = api[0]
    spec = replace(LSTM, dtype=dtype)
    net = ready(api, spec)
    arrays = Arrays(api, "float" if dtype == "f32" else "double")
    changes = dict(changes)  # the table is shared by both precisions
    sizes = {k: changes.pop(k) for k in ("seq_len", "batch") if k in changes}
    made: dict[str, tuple[Any, int]] = {}
    for name, value in changes.items():
        if value == "null":
            made[name] = (ffi.NULL, 0)
        elif isinstance(value, tuple):
            made[name] = (ffi.NULL, value[1])
        elif name == "lengths":
            made[name] = arrays.lengths(value)
        else:
            made[name] = arrays.buf(value)
    refuses(api, call_forward(api, net, spec, **sizes, **made), status, *words)


def test_forward_refuses_arrays_the_model_does_not_have(api: tuple[Any, Any], dtype: str) -> None:
    """c0/c_n on a GRU, y without a head: RR_E_CONFIG naming the array."""
    spec = replace(GRU, dtype=dtype)
    net = ready(api, spec)
    arrays = Arrays(api, "float" if dtype == "f32" else "double")
    state = spec.num_layers * spec.D * B * spec.hidden_size
    for name, count in (("c0", state), ("c_n", state), ("y", T * B)):
        refuses(api, call_forward(api, net, spec, **{name: arrays.buf(count)}), "RR_E_CONFIG", name)


# -- rr_net_step (and _f32) ------------------------------------------------------


def call_step(api: tuple[Any, Any], net: Any, spec: Spec, batch: int = B, **changes: tuple[Any, int]) -> Callable:
    ffi, lib = api
    arrays = Arrays(api, "float" if spec.dtype == "f32" else "double")
    null = (ffi.NULL, 0)
    lstm = spec.cell == "lstm"
    L, b = spec.num_layers, min(batch, 8)
    args = {
        "x": arrays.buf(b * spec.input_size),
        "h": arrays.buf(L * b * spec.H_out),
        "c": arrays.buf(L * b * spec.hidden_size) if lstm else null,
        "out": arrays.buf(b * spec.H_out),
        "h_next": arrays.buf(L * b * spec.H_out),
        "c_next": arrays.buf(L * b * spec.hidden_size) if lstm else null,
        "y": arrays.buf(b * spec.head_size) if spec.head_size else null,
    }
    args.update(changes)
    function = lib.rr_net_step_f32 if spec.dtype == "f32" else lib.rr_net_step

    def call(err: Any) -> int:
        flat = [v for name in ("x", "h", "c", "out", "h_next", "c_next", "y") for v in args[name]]
        return int(function(net, batch, *flat, err))

    call.arrays = arrays  # type: ignore[attr-defined]
    return call


def test_step_succeeds_with_correct_arguments(api: tuple[Any, Any], dtype: str) -> None:
    ffi, lib = api
    spec = replace(LSTM, dtype=dtype)
    err = ffi.new("rr_error *")
    assert call_step(api, ready(api, spec), spec)(err) == lib.RR_OK, ffi.string(err.message).decode()


@pytest.mark.parametrize("spec", [REVERSE, BIDI], ids=["reverse", "bidirectional"])
def test_step_on_reverse_models_is_unsupported(api: tuple[Any, Any], dtype: str, spec: Spec) -> None:
    spec = replace(spec, dtype=dtype)
    net = ready(api, spec)
    forward = "rr_net_forward_f32" if dtype == "f32" else "rr_net_forward"
    refuses(api, call_step(api, net, spec), "RR_E_UNSUPPORTED", forward)
    # unsupported comes first: even with nothing set, or with bad arrays
    refuses(api, call_step(api, create(api, spec), spec, batch=0), "RR_E_UNSUPPORTED", forward)


def test_step_refusals(api: tuple[Any, Any], dtype: str) -> None:
    ffi, _lib = api
    spec = replace(LSTM, dtype=dtype)
    net = ready(api, spec)
    arrays = Arrays(api, "float" if dtype == "f32" else "double")
    L = spec.num_layers
    refuses(api, call_step(api, ffi.NULL, spec), "RR_E_NULL", "net")
    refuses(api, call_step(api, create(api, spec), spec), "RR_E_STATE", "rr_net_set_weights")
    refuses(api, call_step(api, ready(api, spec, head=False), spec), "RR_E_STATE", "head")
    refuses(api, call_step(api, net, spec, batch=0), "RR_E_SIZE", "batch")
    refuses(api, call_step(api, net, spec, batch=SIZE_MAX), "RR_E_SIZE", "overflows")
    refuses(api, call_step(api, net, spec, x=(ffi.NULL, 0)), "RR_E_NULL", "x")
    refuses(api, call_step(api, net, spec, x=arrays.buf(B * spec.input_size + 1)), "RR_E_SHAPE", "x_len")
    refuses(api, call_step(api, net, spec, h=arrays.buf(L * B * spec.H_out - 1)), "RR_E_SHAPE", "h_len")
    refuses(api, call_step(api, net, spec, c=arrays.buf(1)), "RR_E_SHAPE", "c_len")
    refuses(api, call_step(api, net, spec, out=(ffi.NULL, 0)), "RR_E_NULL", "out")
    refuses(api, call_step(api, net, spec, out=arrays.buf(B * spec.H_out * 2)), "RR_E_SHAPE", "out_len")
    refuses(api, call_step(api, net, spec, h_next=(ffi.NULL, 0)), "RR_E_NULL", "h_next")
    refuses(api, call_step(api, net, spec, c_next=(ffi.NULL, 0)), "RR_E_NULL", "c_next")
    refuses(api, call_step(api, net, spec, y=arrays.buf(1)), "RR_E_SHAPE", "y_len")
    gru = replace(GRU, dtype=dtype)
    gru_net = ready(api, gru)
    refuses(api, call_step(api, gru_net, gru, c=arrays.buf(B * gru.hidden_size)), "RR_E_CONFIG", "c")
    refuses(api, call_step(api, gru_net, gru, y=arrays.buf(B)), "RR_E_CONFIG", "y")


def test_step_wrong_precision_entry_point(api: tuple[Any, Any]) -> None:
    _ffi, _lib = api
    f64, f32 = ready(api, GRU), ready(api, replace(GRU, dtype="f32"))
    refuses(api, call_step(api, f64, replace(GRU, dtype="f32")), "RR_E_CONFIG", "rr_net_step", "dtype")
    refuses(api, call_step(api, f32, GRU), "RR_E_CONFIG", "rr_net_step_f32", "dtype")


# -- the benchmark's probes: a library of their own, not this API ------------------


def test_the_public_header_is_the_librarys_only() -> None:
    """Neither the roofline probes nor the fixture reader's status codes are in rnn_rosetta.h / its .so."""
    header = paths.c_header().read_text("utf-8")
    for name in ("rr_probe", "RR_E_PARSE", "RR_E_IO"):
        assert name not in header, name
    require_backend("c")
    exported = subprocess.run(["nm", "-D", "--defined-only", str(paths.c_library())], capture_output=True, text=True)
    assert exported.returncode == 0 and "rr_net_forward" in exported.stdout
    assert "rr_probe" not in exported.stdout


def test_probe_declarations_match_their_header() -> None:
    """probes.py declares the probes for cffi itself (the header is not installed); it must say what C says."""
    from rnn_rosetta.bench.probes import PROBE_DECLARATIONS

    header = " ".join((paths.REPO_ROOT / "c" / "bench" / "rr_probe.h").read_text("utf-8").split())
    for declaration in PROBE_DECLARATIONS.strip().splitlines():
        if declaration.startswith("typedef"):
            assert "RR_PROBE_FLOAT64 = 0," in header and "RR_PROBE_FLOAT32 = 1" in header
        else:
            assert declaration in header, declaration


@pytest.fixture(scope="module")
def probes() -> Any:
    from rnn_rosetta.bench.probes import load_probe_library

    try:
        return load_probe_library()[0]
    except RuntimeError as exc:
        pytest.fail(str(exc))


def test_probes_refuse_bad_arguments(probes: Any) -> None:
    """A value <= 0 signals failure; none of these may run long or crash."""
    lib = probes
    assert lib.rr_probe_peak_gflops(7, 0.01) <= 0
    for seconds in (0.0, -1.0, math.nan):
        assert lib.rr_probe_peak_gflops(lib.RR_PROBE_FLOAT64, seconds) <= 0
        assert lib.rr_probe_read_gbps(1 << 16, seconds) <= 0
    assert lib.rr_probe_read_gbps(0, 0.01) <= 0
    assert lib.rr_probe_read_gbps(255, 0.01) <= 0  # less than one 256-byte block
    assert lib.rr_probe_read_gbps(SIZE_MAX, 0.01) <= 0  # cannot be allocated
    assert lib.rr_probe_read_gbps(1 << 16, 0.01) > 0
    assert lib.rr_probe_peak_gflops(lib.RR_PROBE_FLOAT32, 0.01) > 0


def test_probes_refuse_an_infinite_duration(probes: Any) -> None:
    """seconds = inf (or 1e300) would never return: it must be refused like NaN (value <= 0).
    Run in a child process, so that a probe that never returns fails the test, not the run."""
    script = "\n".join(
        [
            "import math",
            "from rnn_rosetta.bench.probes import load_probe_library",
            "lib, _ = load_probe_library()",
            "for s in (math.inf, 1e300):",
            "    assert lib.rr_probe_peak_gflops(lib.RR_PROBE_FLOAT64, s) <= 0, ('rr_probe_peak_gflops', s)",
            "    assert lib.rr_probe_read_gbps(1 << 16, s) <= 0, ('rr_probe_read_gbps', s)",
        ]
    )
    try:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("a probe with seconds = inf did not return within 10 s (it runs for ever)")
    assert done.returncode == 0, done.stderr
