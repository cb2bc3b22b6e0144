"""Keras 3 import: a zoo of Keras models, each matching Keras itself in every backend; refusals by name.

Keras runs on the PyTorch backend (``KERAS_BACKEND=torch``, set below before the first import) and in
float64; the expected values are what the Keras model itself returns (``keras_float64`` keeps Keras'
matmuls in float64, see rnn_rosetta.interop.keras_import). Without Keras the module is skipped, except
under RR_STRICT=1 (nox, CI), where it must run.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import require_backend

os.environ["KERAS_BACKEND"] = "torch"
if os.environ.get("RR_STRICT"):
    import keras
else:
    keras = pytest.importorskip("keras", reason="Keras is not installed (pip install 'rnn-rosetta[keras]')")

from rnn_rosetta import CaseInputs, InputError, ModelImportError
from rnn_rosetta.backends import BACKENDS, get_backend
from rnn_rosetta.interop.keras_import import (
    keras_expected,
    keras_float64,
    keras_precision,
    load_keras,
    model_from_keras,
)
from tests import keras_zoo

RTOL, ATOL = 1e-9, 1e-12
STEPS, BATCH = 6, 3
ZOO_IDS = [entry.name for entry in keras_zoo.ZOO]


@cache
def zoo_case(name: str) -> tuple[Any, np.ndarray, np.ndarray]:
    """``(keras model, time-major inputs, Keras' own float64 answer, time-major)`` for one zoo model."""
    entry = next(e for e in keras_zoo.ZOO if e.name == name)
    model = keras_zoo.build(entry)
    rng = np.random.default_rng(keras_zoo.SEED + ZOO_IDS.index(name))
    if entry.vocab:
        inputs = rng.integers(0, entry.vocab, (STEPS, BATCH))  # [T, B] tokens
    else:
        inputs = rng.uniform(-1.5, 1.5, (STEPS, BATCH, entry.input_size))  # [T, B, I]
    with keras_float64(keras):
        answer = keras.ops.convert_to_numpy(model(inputs.swapaxes(0, 1), training=False))
    answer = np.asarray(answer, dtype=np.float64)
    assert answer.dtype == np.float64
    return model, inputs, (answer.swapaxes(0, 1) if answer.ndim == 3 else answer)


def chain_answer(chain: Any, result: Any) -> np.ndarray:
    """What the Keras model returns, from a chain's result: ``y`` when the chain has one, else ``output``."""
    return np.asarray(result.y if chain.y_size is not None else result.output)


def test_keras_computes_float64_here() -> None:
    assert keras_precision() == "float64"


@pytest.mark.parametrize("name", ZOO_IDS)
def test_zoo_model_matches_keras(name: str, backend_kernel: tuple[str, str]) -> None:
    backend, kernel = backend_kernel
    model, inputs, want = zoo_case(name)
    chain = model_from_keras(model)
    got = chain_answer(chain, get_backend(backend).load(chain, dtype="float64", kernel=kernel).forward(inputs))
    assert got.shape == want.shape
    where = f"{name} on {backend}/{kernel}: {chain.describe()}"
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=where)


@pytest.mark.parametrize("name", ZOO_IDS)
def test_keras_expected_is_keras_itself(name: str) -> None:
    model, inputs, want = zoo_case(name)
    case = CaseInputs(name, None, tokens=inputs) if inputs.ndim == 2 else CaseInputs(name, inputs)
    result = keras_expected(model, case)
    chain = model_from_keras(model)
    np.testing.assert_array_equal(chain_answer(chain, result), want)
    assert (result.y is None) == (chain.y_size is None)


def test_chain_shapes_of_the_seed_stack() -> None:
    chain = model_from_keras(zoo_case("seed002_stack")[0])
    assert chain.describe() == "lstm 8->64 | lstm 64->32 | last | dense 10 softmax"
    assert chain.extra == {"source": "keras", "batch_first": True}
    char = model_from_keras(zoo_case("char_model")[0])
    assert char.describe() == "embedding 30x10 | lstm 10->16 | lstm 16->16 | sequence | dense 30 softmax"


def test_gru_reset_after_is_pinned_both_ways() -> None:
    after = model_from_keras(zoo_case("gru_reset_after_true")[0]).layers[0]
    before = model_from_keras(zoo_case("gru_reset_after_false")[0]).layers[0]
    assert after.linear_before_reset is True and before.linear_before_reset is False
    assert not np.any(before.layers[0].forward.bias_hh)  # Keras' single bias goes to bias_ih
    assert np.any(after.layers[0].forward.bias_hh)


def test_batch_first_forward_takes_keras_shaped_arrays() -> None:
    model, inputs, want = zoo_case("char_model")
    chain = model_from_keras(model)
    got = get_backend("numpy").load(chain).forward(inputs.swapaxes(0, 1), batch_first=True).y
    np.testing.assert_allclose(got, want.swapaxes(0, 1), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("backend", BACKENDS)
def test_saved_keras_file_round_trips(tmp_path: Path, backend: str) -> None:
    """A float32 model as users save it: the file's weights convert exactly; Keras reruns them in float64."""
    require_backend(backend)
    model = keras_zoo.randomize(keras_zoo.three_layer_mixed(), seed=5)  # float32, Keras' default
    path = tmp_path / "mixed.keras"
    model.save(path)
    x = np.random.default_rng(6).uniform(-1, 1, (STEPS, BATCH, 6))
    chain = model_from_keras(path)
    want = keras_expected(str(path), CaseInputs("c", x)).y
    got = get_backend(backend).load(chain, dtype="float64").forward(x).y
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    again = model_from_keras(load_keras(path))
    assert again.describe() == chain.describe() == "rnn 6->9 tanh | gru 9->5 lbr=0 | lstm 5->3 | last | dense 4 tanh"
    np.testing.assert_array_equal(
        again.layers[2].layers[0].forward.weight_hh, model.layers[3].cell.recurrent_kernel.numpy().T
    )


def test_float64_fix_is_scoped_and_keras_alone_is_float32_close() -> None:
    """Outside keras_float64 Keras' matmuls are float32 (keras-team/keras#23704): same model, 1e-5 close."""
    from keras.src.backend.common import dtypes

    model, inputs, want = zoo_case("seed002_stack")
    plain = np.asarray(keras.ops.convert_to_numpy(model(inputs.swapaxes(0, 1), training=False)), dtype=np.float64)
    assert dtypes.BIT64_TO_BIT32_DTYPE["float64"] == "float32"  # restored after every oracle run
    np.testing.assert_allclose(plain, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("name", "build", "words"), keras_zoo.REFUSED, ids=[r[0] for r in keras_zoo.REFUSED])
def test_refused_with_a_named_reason(name: str, build: Any, words: str) -> None:
    with keras_zoo.float64():
        model = build()
    with pytest.raises(ModelImportError, match=re.escape(words)) as caught:
        model_from_keras(model)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("Keras "), message


def test_refusals_of_files_and_inputs(tmp_path: Path) -> None:
    with pytest.raises(ModelImportError, match=r"not a \.keras file"):
        model_from_keras(tmp_path / "model.h5")
    with pytest.raises(ModelImportError, match="no such file"):
        model_from_keras(tmp_path / "missing.keras")
    (tmp_path / "broken.keras").write_bytes(b"not a zip")
    with pytest.raises(ModelImportError, match="Keras cannot load it"):
        model_from_keras(tmp_path / "broken.keras")
    with pytest.raises(ModelImportError, match=r"expected a keras\.Model"):
        model_from_keras(object())
    model, inputs, _ = zoo_case("go_backwards_last")
    with pytest.raises(InputError, match="h0: a Keras model takes no initial states"):
        keras_expected(model, CaseInputs("s", inputs, h0=np.zeros((1, BATCH, 7))))
