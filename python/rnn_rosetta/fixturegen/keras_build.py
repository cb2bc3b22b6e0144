"""Turn a :class:`KerasSpec` into a version-2 fixture document whose expected values Keras computes.

1. build the spec's ``keras.Sequential`` with every layer's ``dtype`` float64;
2. redraw every weight, in ``model.get_weights()`` order, uniform in ``+-weight_scale`` from
   ``numpy.random.default_rng(spec.seed)`` (Keras' own initialisers are not used);
3. import it with :func:`rnn_rosetta.interop.model_from_keras` (the fixture's model);
4. draw each case's inputs from ``numpy.random.default_rng(spec.input_seed)``: tokens ``[T, B]`` uniform
   in ``0..V-1`` for an embedding model; for a ``one_hot`` spec characters ``[T, B]`` uniform in ``0..I-1``
   as one-hot rows of ``x [T, B, I]``; else ``x [T, B, I]`` standard normal times ``x_scale``;
5. answer each case with :func:`rnn_rosetta.interop.keras_expected`: the Keras model itself, every layer
   rebuilt in float64, run inside ``keras_float64`` (the keras-team/keras#23704 workaround: Keras 3 on
   torch maps float64 matmul results to float32 unless its dtype table is told otherwise). Keras gives
   the model's final output only, so each case expects ``y``.

Keras must run on the torch backend (``KERAS_BACKEND`` unset or ``torch``); :func:`keras_missing` says why
these fixtures cannot be made here, and the generator refuses (RR_STRICT=1) or skips them loudly.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
from typing import Any

import numpy as np

from rnn_rosetta.chain import Chain
from rnn_rosetta.fixture_data import Case, CaseInputs
from rnn_rosetta.fixture_writer import fixture_document
from rnn_rosetta.fixturegen.keras_specs import KerasLayer, KerasSpec

GENERATOR = "python -m rnn_rosetta.fixturegen (nox -s fixtures)"
TOLERANCE = {"rtol": 1e-12, "atol": 1e-13}  # Keras float64 vs our float64: summation order only
WORKAROUND = (
    "keras-team/keras#23704: Keras 3 on torch maps float64 matmul/binary-op result dtypes to 32-bit "
    "(BIT64_TO_BIT32_DTYPE); rnn_rosetta.interop.keras_import.keras_float64 maps float64 to itself while Keras runs"
)


def keras_missing() -> str | None:
    """Why the Keras fixtures cannot be made here (None: they can)."""
    if importlib.util.find_spec("keras") is None:
        return "Keras is not installed (pip install 'rnn-rosetta[keras]')"
    backend = os.environ.get("KERAS_BACKEND", "torch")
    if backend != "torch":
        return f"KERAS_BACKEND is {backend!r}; the Keras fixtures are made on the torch backend"
    return None


def _keras() -> Any:
    from rnn_rosetta.interop.keras_import import import_keras

    keras = import_keras()
    if keras.backend.backend() != "torch":
        raise RuntimeError(f"Keras runs on {keras.backend.backend()!r}; the Keras fixtures need the torch backend")
    return keras


def _make_layer(keras: Any, layer: KerasLayer) -> Any:
    kwargs = {**layer.kwargs, "dtype": "float64"}  # explicit: Keras caches its global dtype policy on first use
    if layer.inner is not None:  # RNN(cell=...) or Bidirectional(layer=...)
        kwargs["cell" if layer.kind == "RNN" else "layer"] = _make_layer(keras, layer.inner)
    return getattr(keras.layers, layer.kind)(**kwargs)


def keras_model(spec: KerasSpec) -> Any:
    """The spec's Keras model, every layer float64, every weight redrawn from ``default_rng(spec.seed)``."""
    keras = _keras()
    if spec.vocab_size is not None:
        given = keras.Input((None,), dtype="int64")  # [B, T] tokens
    else:
        given = keras.Input((None, spec.input_size), dtype="float64")  # [B, T, I]
    model = keras.Sequential([given, *(_make_layer(keras, layer) for layer in spec.layers)], name=spec.name)
    rng = np.random.default_rng(spec.seed)
    scale = spec.weight_scale
    model.set_weights([rng.uniform(-scale, scale, size=np.shape(w)) for w in model.get_weights()])
    return model


def keras_inputs(spec: KerasSpec) -> list[CaseInputs]:
    """Every case's inputs, time-major, from ``default_rng(spec.input_seed)`` (no states, no lengths)."""
    rng = np.random.default_rng(spec.input_seed)
    cases = []
    for case in spec.cases:
        if spec.vocab_size is not None:
            tokens = rng.integers(0, spec.vocab_size, size=(case.steps, case.batch))  # [T, B]
            cases.append(CaseInputs(case.name, None, tokens=tokens.astype(np.int64)))
        elif spec.one_hot:
            characters = rng.integers(0, spec.input_size, size=(case.steps, case.batch))  # [T, B]
            x = np.eye(spec.input_size)[characters]  # [T, B, I]: one 1 per row
            cases.append(CaseInputs(case.name, x))
        else:
            x = rng.standard_normal((case.steps, case.batch, spec.input_size)) * case.x_scale  # [T, B, I]
            cases.append(CaseInputs(case.name, x))
    return cases


def keras_chain_and_cases(spec: KerasSpec) -> tuple[Chain, list[Case]]:
    """The imported chain and every case answered by Keras in float64."""
    from rnn_rosetta.interop.keras_import import keras_expected, keras_precision, model_from_keras

    model = keras_model(spec)
    chain = model_from_keras(model)
    if keras_precision() != "float64":
        raise RuntimeError("Keras does not compute in float64 here (keras#23704 workaround no longer applies)")
    cases = [Case.answered(inputs, keras_expected(model, inputs)) for inputs in keras_inputs(spec)]
    return chain, cases


def _workaround_needed() -> bool:
    from keras.src.backend.common import dtypes

    table = getattr(dtypes, "BIT64_TO_BIT32_DTYPE", None)
    return isinstance(table, dict) and table.get("float64") != "float64"


def build_keras_document(spec: KerasSpec) -> dict[str, Any]:
    """The whole version-2 fixture document; runs Keras."""
    chain, cases = keras_chain_and_cases(spec)
    keras_version = importlib.metadata.version("keras")
    torch_version = importlib.metadata.version("torch")
    provenance = {
        "generator": GENERATOR,
        "seed": spec.seed,
        "input_seed": spec.input_seed,
        "oracle": f"keras {keras_version} float64 (torch backend, torch {torch_version})",
        "oracle_name": "keras",
        "oracle_precision": "float64",
        "keras_backend": "torch",
        "framework_versions": {"keras": keras_version, "torch": torch_version},
        "workaround": WORKAROUND if _workaround_needed() else "none needed (this Keras keeps float64)",
        "weights": f"every Keras weight uniform in +-{spec.weight_scale} from default_rng(seed), get_weights() order",
        "inputs": "default_rng(input_seed): tokens uniform in 0..V-1, or x standard normal times the case's scale",
        **({"one_hot": "x holds one-hot rows of characters uniform in 0..I-1"} if spec.one_hot else {}),
    }
    return fixture_document(spec.name, spec.description, chain, cases, TOLERANCE, provenance)
