"""The chain API of c/include/rnn_rosetta.h (rr_chain_*) called directly through cffi, with bad
arguments: every refusal is a status with one line naming the argument, never a crash (under the
sanitizers, `nox -s sanitize`, an out-of-bounds access is a failure even when the status is right).

The chain used: embedding 5x2 -> gru 2->3 forward -> lstm 3->4 proj 2 bidirectional, merge sum ->
readout last -> dense 3 tanh -> dense 2 softmax. Slots: h [3, 2, 2], c [4, 4].
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import require_backend
from tests.test_c_api import SIZE_MAX, Arrays, Spec, _open, refuses, weights

GRU0 = Spec(cell="gru", input_size=2, hidden_size=3)
LSTM1 = Spec(cell="lstm", input_size=3, hidden_size=4, proj_size=2, direction="bidirectional")
V, E_DIM, W, Y_SIZE = 5, 2, 2, 2  # vocab, embedding width, top width (sum merge: H_out), y size
S_H, S_C = 3 + 2 + 2, 4 + 4  # per batch element


def chain_config(pair: tuple[Any, Any], arrays: Arrays, **raw: Any) -> Any:
    ffi, lib = pair
    layers = ffi.new("rr_layer_config[]", 2)
    arrays.keep.append(layers)
    layers[0].cell, layers[0].hidden_size, layers[0].direction = lib.RR_CELL_GRU, 3, lib.RR_FORWARD
    layers[0].linear_before_reset = 1
    layers[1].cell, layers[1].hidden_size, layers[1].direction = lib.RR_CELL_LSTM, 4, lib.RR_BIDIRECTIONAL
    layers[1].proj_size, layers[1].merge = 2, lib.RR_MERGE_SUM
    dense = ffi.new("rr_dense_config[]", 2)
    arrays.keep.append(dense)
    dense[0].size, dense[0].activation = 3, lib.RR_ACT_TANH
    dense[1].size, dense[1].activation = Y_SIZE, lib.RR_ACT_SOFTMAX
    cfg = ffi.new("rr_chain_config *")
    cfg.input_size, cfg.vocab_size, cfg.num_layers, cfg.layers = E_DIM, V, 2, layers
    cfg.num_dense, cfg.dense, cfg.readout = 2, dense, lib.RR_READOUT_LAST
    for name, value in raw.items():
        setattr(cfg, name, value)
    arrays.keep.append(cfg)
    return cfg


def create(pair: tuple[Any, Any], **raw: Any) -> Any:
    ffi, lib = pair
    arrays = Arrays(pair)
    out = ffi.new("rr_chain **")
    err = ffi.new("rr_error *")
    status = lib.rr_chain_create(chain_config(pair, arrays, **raw), out, err)
    assert status == lib.RR_OK, ffi.string(err.message).decode()
    return ffi.gc(out[0], lib.rr_chain_free)


def ready(pair: tuple[Any, Any], *, skip_dense: bool = False, **raw: Any) -> Any:
    ffi, lib = pair
    chain = create(pair, **raw)
    arrays = Arrays(pair)
    err = ffi.new("rr_error *")
    calls = [
        lambda: lib.rr_chain_set_embedding(chain, *arrays.buf(V * E_DIM), err),
        lambda: lib.rr_chain_set_weights(chain, 0, lib.RR_FORWARD, weights(pair, GRU0, 0, arrays), err),
        lambda: lib.rr_chain_set_weights(chain, 1, lib.RR_FORWARD, weights(pair, LSTM1, 0, arrays), err),
        lambda: lib.rr_chain_set_weights(chain, 1, lib.RR_REVERSE, weights(pair, LSTM1, 0, arrays), err),
        lambda: lib.rr_chain_set_dense(chain, 0, *arrays.buf(3 * W), *arrays.buf(3), err),
    ]
    if not skip_dense:
        calls.append(lambda: lib.rr_chain_set_dense(chain, 1, *arrays.buf(Y_SIZE * 3), *arrays.buf(Y_SIZE), err))
    for call in calls:
        assert call() == lib.RR_OK, ffi.string(err.message).decode()
    return chain


@pytest.fixture
def chain_api() -> tuple[Any, Any]:
    require_backend("c")
    return _open()


def test_sizes(chain_api: tuple[Any, Any]) -> None:
    ffi, lib = chain_api
    sizes = ffi.new("rr_chain_sizes *")
    assert lib.rr_chain_get_sizes(create(chain_api), sizes, ffi.NULL) == lib.RR_OK
    got = (sizes.input_size, sizes.vocab_size, sizes.output_width, sizes.num_slots, sizes.num_cell_slots)
    assert got == (E_DIM, V, W, 3, 2)
    assert (sizes.state_size, sizes.cell_state_size, sizes.y_size, sizes.all_forward) == (S_H, S_C, Y_SIZE, 0)
    refuses(chain_api, lambda err: lib.rr_chain_get_sizes(ffi.NULL, sizes, err), "RR_E_NULL", "chain")


@pytest.mark.parametrize(
    ("raw", "status", "word"),
    [
        ({"input_size": 0}, "RR_E_SIZE", "input_size"),
        ({"num_layers": 0}, "RR_E_SIZE", "num_layers"),
        ({"readout": 7}, "RR_E_CONFIG", "readout"),
        ({"num_dense": 3, "dense": None}, "RR_E_NULL", "dense"),
    ],
)
def test_create_refuses_bad_configs(chain_api: tuple[Any, Any], raw: dict[str, Any], status: str, word: str) -> None:
    ffi, lib = chain_api
    arrays = Arrays(chain_api)
    raw = {k: ffi.NULL if v is None else v for k, v in raw.items()}
    out = ffi.new("rr_chain **")
    refuses(chain_api, lambda err: lib.rr_chain_create(chain_config(chain_api, arrays, **raw), out, err), status, word)
    assert out[0] == ffi.NULL


@pytest.mark.parametrize(
    ("index", "field", "value", "status", "words"),
    [
        (0, "merge", "RR_MERGE_SUM", "RR_E_CONFIG", ("merge", "bidirectional")),
        (1, "merge", 9, "RR_E_CONFIG", ("merge",)),
        (1, "nonlinearity", "RR_RELU", "RR_E_CONFIG", ("layers[1]", "RR_RELU")),
        (1, "proj_size", 4, "RR_E_CONFIG", ("layers[1]", "proj_size")),
        (0, "hidden_size", 0, "RR_E_SIZE", ("layers[0]", "hidden_size")),
        (0, "cell", 5, "RR_E_CONFIG", ("layers[0]",)),
    ],
)
def test_create_refuses_bad_layers(
    chain_api: tuple[Any, Any], index: int, field: str, value: Any, status: str, words: tuple[str, ...]
) -> None:
    ffi, lib = chain_api
    arrays = Arrays(chain_api)
    cfg = chain_config(chain_api, arrays)
    setattr(cfg.layers[index], field, getattr(lib, value) if isinstance(value, str) else value)
    out = ffi.new("rr_chain **")
    refuses(chain_api, lambda err: lib.rr_chain_create(cfg, out, err), status, *words)


def test_create_refuses_bad_dense_and_nulls(chain_api: tuple[Any, Any]) -> None:
    ffi, lib = chain_api
    arrays = Arrays(chain_api)
    out = ffi.new("rr_chain **")
    cfg = chain_config(chain_api, arrays)
    refuses(chain_api, lambda err: lib.rr_chain_create(ffi.NULL, out, err), "RR_E_NULL", "cfg")
    refuses(chain_api, lambda err: lib.rr_chain_create(cfg, ffi.NULL, err), "RR_E_NULL", "out")
    cfg.dense[1].activation = 17
    refuses(chain_api, lambda err: lib.rr_chain_create(cfg, out, err), "RR_E_CONFIG", "activation")
    cfg.dense[1].activation, cfg.dense[0].size = lib.RR_ACT_RELU, 0
    refuses(chain_api, lambda err: lib.rr_chain_create(cfg, out, err), "RR_E_SIZE", "size")
    cfg.dense[0].size, cfg.layers = 3, ffi.NULL
    refuses(chain_api, lambda err: lib.rr_chain_create(cfg, out, err), "RR_E_NULL", "layers")
    cfg = chain_config(chain_api, arrays, vocab_size=SIZE_MAX, input_size=2)
    refuses(chain_api, lambda err: lib.rr_chain_create(cfg, out, err), "RR_E_SIZE", "embedding")


def test_setters_refuse_bad_arguments(chain_api: tuple[Any, Any]) -> None:
    ffi, lib = chain_api
    chain = create(chain_api)
    arrays = Arrays(chain_api)
    good = weights(chain_api, GRU0, 0, arrays)
    refuses(
        chain_api,
        lambda err: lib.rr_chain_set_embedding(chain, *arrays.buf(V * E_DIM - 1), err),
        "RR_E_SHAPE",
        "weight_len",
    )
    refuses(chain_api, lambda err: lib.rr_chain_set_embedding(chain, ffi.NULL, V * E_DIM, err), "RR_E_NULL", "weight")
    refuses(
        chain_api, lambda err: lib.rr_chain_set_embedding(ffi.NULL, *arrays.buf(V * E_DIM), err), "RR_E_NULL", "chain"
    )
    refuses(chain_api, lambda err: lib.rr_chain_set_weights(chain, 2, lib.RR_FORWARD, good, err), "RR_E_SIZE", "layer")
    refuses(
        chain_api, lambda err: lib.rr_chain_set_weights(chain, 0, lib.RR_REVERSE, good, err), "RR_E_CONFIG", "layers[0]"
    )
    refuses(
        chain_api, lambda err: lib.rr_chain_set_weights(chain, 0, lib.RR_FORWARD, ffi.NULL, err), "RR_E_NULL", "weights"
    )
    wide = weights(chain_api, LSTM1, 0, arrays, weight_ih=arrays.buf(16 * 4))  # reads 3, not 4
    refuses(
        chain_api,
        lambda err: lib.rr_chain_set_weights(chain, 1, lib.RR_FORWARD, wide, err),
        "RR_E_SHAPE",
        "weight_ih_len",
    )
    refuses(
        chain_api, lambda err: lib.rr_chain_set_dense(chain, 2, *arrays.buf(6), *arrays.buf(3), err), "RR_E_SIZE", "k"
    )
    refuses(
        chain_api,
        lambda err: lib.rr_chain_set_dense(chain, 1, *arrays.buf(6), *arrays.buf(3), err),
        "RR_E_SHAPE",
        "bias_len",
    )
    refuses(
        chain_api,
        lambda err: lib.rr_chain_set_dense(chain, 0, *arrays.buf(4), *arrays.buf(3), err),
        "RR_E_SHAPE",
        "weight_len",
    )
    plain = create(chain_api, vocab_size=0)
    refuses(
        chain_api,
        lambda err: lib.rr_chain_set_embedding(plain, *arrays.buf(V * E_DIM), err),
        "RR_E_CONFIG",
        "embedding",
    )


def forward_call(pair: tuple[Any, Any], chain: Any, steps: int = 3, batch: int = 2, **changes: tuple[Any, int]) -> Any:
    """``err -> status`` of an rr_chain_forward with correct arguments but ``changes``."""
    ffi, lib = pair
    arrays = Arrays(pair)
    defaults = {
        "x": lambda: (ffi.NULL, 0),
        "tokens": lambda: arrays.buf(steps * batch, "int64_t", [1] * (steps * batch)),
        "h0": lambda: (ffi.NULL, 0),
        "c0": lambda: (ffi.NULL, 0),
        "lengths": lambda: (ffi.NULL, 0),
        "output": lambda: arrays.buf(steps * batch * W),
        "h_n": lambda: arrays.buf(batch * S_H),
        "c_n": lambda: arrays.buf(batch * S_C),
        "y": lambda: arrays.buf(batch * Y_SIZE),
    }
    args = {name: changes[name] if name in changes else make() for name, make in defaults.items()}
    flat = [value for pair in args.values() for value in pair]
    return lambda err: lib.rr_chain_forward(chain, steps, batch, *flat, err)


def test_forward_runs_and_refuses_bad_arguments(chain_api: tuple[Any, Any]) -> None:
    ffi, lib = chain_api
    chain = ready(chain_api)
    arrays = Arrays(chain_api)
    assert forward_call(chain_api, chain)(ffi.NULL) == lib.RR_OK
    cases = [
        ({"tokens": arrays.buf(6, "int64_t", [0, 1, 2, 3, 4, 5])}, "RR_E_TOKENS", ("tokens[2][1]",)),
        ({"tokens": arrays.buf(6, "int64_t", [0, -1, 2, 3, 4, 4])}, "RR_E_TOKENS", ("tokens[0][1]",)),
        ({"tokens": (ffi.NULL, 0)}, "RR_E_NULL", ("tokens",)),
        ({"x": arrays.buf(6 * E_DIM)}, "RR_E_CONFIG", ("x",)),
        ({"tokens": arrays.buf(5, "int64_t", [0] * 5)}, "RR_E_SHAPE", ("tokens_len",)),
        ({"h0": arrays.buf(2 * S_H - 1)}, "RR_E_SHAPE", ("h0_len",)),
        ({"c0": arrays.buf(2 * S_C + 1)}, "RR_E_SHAPE", ("c0_len",)),
        ({"c_n": (ffi.NULL, 0)}, "RR_E_NULL", ("c_n",)),
        ({"y": arrays.buf(3 * 2 * Y_SIZE)}, "RR_E_SHAPE", ("y_len",)),  # [T, B, Y_SIZE] for a last readout
        ({"y": (ffi.NULL, 0)}, "RR_E_NULL", ("y",)),
        ({"output": arrays.buf(3 * 2 * 4)}, "RR_E_SHAPE", ("output_len",)),
        ({"lengths": arrays.lengths([1, 4])}, "RR_E_LENGTHS", ("lengths[1]",)),
        ({"lengths": arrays.lengths([0, 1])}, "RR_E_LENGTHS", ("lengths[0]",)),
        ({"lengths": arrays.lengths([1])}, "RR_E_SHAPE", ("lengths_len",)),
    ]
    for changes, status, words in cases:
        refuses(chain_api, forward_call(chain_api, chain, **changes), status, *words)
    refuses(chain_api, forward_call(chain_api, chain, steps=0), "RR_E_SIZE", "seq_len")
    refuses(chain_api, forward_call(chain_api, chain, batch=0), "RR_E_SIZE", "batch")
    refuses(chain_api, forward_call(chain_api, ffi.NULL), "RR_E_NULL", "chain")
    small = {"tokens": arrays.buf(1, "int64_t", [0]), "output": arrays.buf(1), "h_n": arrays.buf(1)}
    huge = forward_call(chain_api, chain, steps=SIZE_MAX // 2, batch=4, **small)
    refuses(chain_api, huge, "RR_E_SIZE", "tokens")
    not_ready = ready(chain_api, skip_dense=True)
    refuses(chain_api, forward_call(chain_api, not_ready), "RR_E_STATE", "dense")


def test_precision_and_step_refusals(chain_api: tuple[Any, Any]) -> None:
    ffi, lib = chain_api
    chain = ready(chain_api)
    arrays = Arrays(chain_api)
    out = arrays.buf(2 * W, "float")
    call = lambda err: lib.rr_chain_forward_f32(  # noqa: E731
        chain, 1, 2, ffi.NULL, 0, *arrays.buf(2, "int64_t", [0, 0]), ffi.NULL, 0, ffi.NULL, 0, ffi.NULL, 0,
        *out, *arrays.buf(2 * S_H, "float"), *arrays.buf(2 * S_C, "float"), *arrays.buf(2 * Y_SIZE, "float"), err,
    )  # fmt: skip
    refuses(chain_api, call, "RR_E_CONFIG", "float64")
    step = lambda err: lib.rr_chain_step(  # noqa: E731
        chain, 2, ffi.NULL, 0, *arrays.buf(2, "int64_t", [0, 0]), ffi.NULL, 0, ffi.NULL, 0,
        *arrays.buf(2 * W), *arrays.buf(2 * S_H), *arrays.buf(2 * S_C), *arrays.buf(2 * Y_SIZE), err,
    )  # fmt: skip
    refuses(chain_api, step, "RR_E_UNSUPPORTED", "step")
    assert ffi.string(lib.rr_chain_kernel_name(chain)).decode() in ("portable", "avx2-fma", "avx512")
    assert ffi.string(lib.rr_chain_kernel_name(ffi.NULL)).decode() == "none"
    lib.rr_chain_free(ffi.NULL)
