"""Import hand-written recurrent cells: the weight layouts articles and small programs use, made canonical.

Two layouts are common outside the frameworks:

- :func:`model_from_concat_gates`: one matrix per gate acting on a concatenation of the previous state
  and the input, ``a_gate = W_gate [h_{t-1}, x_t] + b_gate`` with ``W_gate [H, H+I]`` (``concat="h_x"``,
  the seed articles' Java ``LSTMCell``), or on ``[x_t, h_{t-1}]`` (``concat="x_h"``, seed 001's
  ``nn.Linear(input_size + hidden_size, 4 * hidden_size)`` cell, one gate block per gate);
- :func:`model_from_gate_blocks`: PyTorch-shaped ``weight_ih [G*H, I]``, ``weight_hh [G*H, H]`` whose gate
  blocks come in another order (seed 001's ``i, f, o, g = gates.chunk(4, 1)``: ``gate_order="ifog"``;
  Keras' GRU: ``"zrn"``).

Both return a one-layer version-2 :class:`~rnn_rosetta.chain.Chain` (readout ``sequence``, no dense layers)
in the canonical layout: gate blocks ``i, f, g, o`` (lstm), ``r, z, n`` (gru), ``h`` (rnn).

Gate names: lstm ``i`` (input), ``f`` (forget), ``g`` (the candidate ``tanh`` block), ``o`` (output); ``c``
is accepted for ``g`` (``W_c``, ``C~_t``: what the Java seed and many texts call the candidate), never both.
gru ``r`` (reset), ``z`` (update), ``n`` (candidate; ``h`` accepted for it, ``W_h`` in many texts); rnn ``h``.

The GRU's update gate has two conventions:

- ``update_gate="keeps_state"`` (PyTorch, ONNX, Keras): ``h_t = (1 - z) * n + z * h_{t-1}``;
- ``update_gate="weights_candidate"`` (the seed articles 000 and 004, Cho et al. as often written):
  ``h_t = z * n + (1 - z) * h_{t-1}``. It is imported exactly by negating the update gate's weights and
  biases: ``sigmoid(-a) = 1 - sigmoid(a)``, so the canonical ``z' = sigmoid(-a_z) = 1 - z`` and the
  canonical ``(1 - z') n + z' h = z n + (1 - z) h``.

In the concatenated layout the GRU candidate's matrix acts on ``[r * h_{t-1}, x_t]``
(``n = tanh(W_n [r * h_{t-1}, x_t] + b_n)``), so the reset gate is applied before the matrix product:
the layer is imported with ``linear_before_reset`` false.

Anything unexpected (a missing or unknown gate, a shape that does not fit, an unknown option) raises
:class:`rnn_rosetta.ModelImportError` with one line naming the gate or array and the shapes; nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rnn_rosetta.chain import Chain
from rnn_rosetta.errors import ModelError, ModelImportError
from rnn_rosetta.model import NONLINEARITIES, DirectionWeights, Layer, Model
from rnn_rosetta.model_rules import check_model

#: The canonical gate order of each cell (the order of the row blocks of ``weight_ih``).
CANONICAL_GATES: dict[str, tuple[str, ...]] = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n"), "rnn": ("h",)}
#: Other names accepted for a gate, per cell: alias -> canonical name.
GATE_ALIASES: dict[str, dict[str, str]] = {"lstm": {"c": "g"}, "gru": {"h": "n"}, "rnn": {}}
CONCATS: tuple[str, ...] = ("h_x", "x_h")
UPDATE_GATES: tuple[str, ...] = ("keeps_state", "weights_candidate")


def _fail(function: str, problem: str) -> ModelImportError:
    return ModelImportError(f"{function}: {problem}")


def _check_cell(function: str, cell: str, update_gate: str, nonlinearity: str) -> None:
    if cell not in CANONICAL_GATES:
        raise _fail(function, f"cell must be one of {list(CANONICAL_GATES)}, got {cell!r}")
    if update_gate not in UPDATE_GATES:
        raise _fail(function, f"update_gate must be one of {list(UPDATE_GATES)}, got {update_gate!r}")
    if update_gate != "keeps_state" and cell != "gru":
        raise _fail(function, f"update_gate={update_gate!r} applies to a gru only, not {cell}")
    if nonlinearity not in NONLINEARITIES:
        raise _fail(function, f"nonlinearity must be one of {list(NONLINEARITIES)}, got {nonlinearity!r}")
    if nonlinearity != "tanh" and cell != "rnn":
        raise _fail(function, f"nonlinearity={nonlinearity!r} applies to an rnn only, not {cell}")


def _canonical_names(function: str, cell: str, names: Sequence[str], what: str) -> list[str]:
    """``names`` (each a gate name or an alias) as canonical names; every gate exactly once."""
    aliases = GATE_ALIASES[cell]
    wanted = CANONICAL_GATES[cell]
    accepted = [*wanted, *aliases]
    result: list[str] = []
    for name in names:
        if name not in accepted:
            raise _fail(function, f"{what}: unknown {cell} gate {name!r} (gates: {', '.join(accepted)})")
        canonical = aliases.get(name, name)
        if canonical in result:
            raise _fail(function, f"{what}: gate {canonical!r} is given twice ({name!r} names it too)")
        result.append(canonical)
    missing = [g for g in wanted if g not in result]
    if missing:
        raise _fail(function, f"{what}: missing {cell} gate(s) {', '.join(missing)} (need {', '.join(wanted)})")
    return result


def _real(function: str, label: str, value: Any, ndim: int) -> np.ndarray:
    """``value`` as a float64 array of ``ndim`` dimensions with finite values."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise _fail(function, f"{label} is not an array of real numbers ({exc})") from None
    if array.ndim != ndim:
        raise _fail(function, f"{label} must have {ndim} dimension(s), got shape {list(array.shape)}")
    if not np.isfinite(array).all():
        raise _fail(function, f"{label} holds a NaN or infinite value")
    return np.ascontiguousarray(array)


def _shape(function: str, label: str, array: np.ndarray, shape: tuple[int, ...], meaning: str) -> None:
    if array.shape != shape:
        raise _fail(function, f"{label} has shape {list(array.shape)}, expected {list(shape)} ({meaning})")


def _chain(
    function: str,
    cell: str,
    weights: DirectionWeights,
    *,
    input_size: int,
    hidden_size: int,
    nonlinearity: str,
    linear_before_reset: bool,
) -> Chain:
    layer = Model(
        cell=cell, input_size=input_size, hidden_size=hidden_size, num_layers=1, direction="forward",
        layers=(Layer(forward=weights),), nonlinearity=nonlinearity, linear_before_reset=linear_before_reset,
    )  # fmt: skip
    chain = Chain(layers=(layer,))
    try:
        check_model(chain)
    except ModelError as exc:
        raise _fail(function, str(exc)) from None
    return chain


def _negate_update_gate(hidden: int, *arrays: np.ndarray) -> list[np.ndarray]:
    """The z block (rows ``H .. 2H`` in ``r, z, n`` order) of every array negated: ``z' = 1 - z``."""
    changed = []
    for array in arrays:
        copy = array.copy()
        copy[hidden : 2 * hidden] = 0.0 - copy[hidden : 2 * hidden]  # 0.0 - 0.0 is +0.0, not -0.0
        changed.append(copy)
    return changed


def model_from_concat_gates(
    cell: str,
    gate_weights: Mapping[str, Any],
    gate_biases: Mapping[str, Any] | None = None,
    *,
    input_size: int,
    concat: str = "h_x",
    update_gate: str = "keeps_state",
    nonlinearity: str = "tanh",
) -> Chain:
    """One matrix per gate on the concatenated ``[h_{t-1}, x_t]`` (or ``[x_t, h_{t-1}]``) -> a canonical Chain.

    ``gate_weights[name]`` is ``W_name [H, H+I]``: ``a_name = W_name [h_{t-1}, x_t] + b_name``. With
    ``concat="h_x"`` the columns ``0 .. H-1`` multiply ``h_{t-1}`` and ``H .. H+I-1`` multiply ``x_t``, so

        weight_ih = [W_g[:, H:] for g in canonical order]   # [G*H, I]
        weight_hh = [W_g[:, :H] for g in canonical order]   # [G*H, H]

    (``"x_h"``: ``W_g[:, :I]`` and ``W_g[:, I:]``); ``bias_ih`` = the ``b_name`` in canonical order (zeros
    without ``gate_biases``), ``bias_hh`` = 0. ``gate_biases``, when given, names every gate (``[H]`` each).
    A gru is imported with ``linear_before_reset`` false (its candidate matrix acts on
    ``[r * h_{t-1}, x_t]``); ``update_gate`` as in the module's docstring; ``nonlinearity`` for an rnn.
    """
    function = "model_from_concat_gates"
    _check_cell(function, cell, update_gate, nonlinearity)
    if concat not in CONCATS:
        raise _fail(function, f"concat must be one of {list(CONCATS)}, got {concat!r}")
    if not isinstance(input_size, (int, np.integer)) or isinstance(input_size, bool) or input_size < 1:
        raise _fail(function, f"input_size must be a positive integer, got {input_size!r}")
    if not isinstance(gate_weights, Mapping):
        raise _fail(
            function, f"gate_weights must map gate names to [H, H+I] matrices, got {type(gate_weights).__name__}"
        )
    if gate_biases is not None and not isinstance(gate_biases, Mapping):
        raise _fail(function, f"gate_biases must map gate names to [H] vectors, got {type(gate_biases).__name__}")
    names = list(gate_weights)
    order = _canonical_names(function, cell, names, "gate_weights")
    matrices = {
        gate: _real(function, f"gate_weights[{name!r}]", gate_weights[name], 2)
        for name, gate in zip(names, order, strict=True)
    }
    first = names[0]
    hidden = int(matrices[order[0]].shape[0])
    width = hidden + input_size
    for name, gate in zip(names, order, strict=True):
        meaning = f"[H, H+I] with H = {hidden} (the rows of gate_weights[{first!r}]) and I = input_size = {input_size}"
        _shape(function, f"gate_weights[{name!r}]", matrices[gate], (hidden, width), meaning)
    biases = {gate: np.zeros(hidden) for gate in order}
    if gate_biases is not None:
        bias_names = list(gate_biases)
        bias_order = _canonical_names(function, cell, bias_names, "gate_biases")
        for name, gate in zip(bias_names, bias_order, strict=True):
            bias = _real(function, f"gate_biases[{name!r}]", gate_biases[name], 1)
            _shape(function, f"gate_biases[{name!r}]", bias, (hidden,), f"[H], H = {hidden}")
            biases[gate] = bias
    gates = CANONICAL_GATES[cell]
    if concat == "h_x":
        weight_ih = np.concatenate([matrices[g][:, hidden:] for g in gates])  # [G*H, I]
        weight_hh = np.concatenate([matrices[g][:, :hidden] for g in gates])  # [G*H, H]
    else:
        weight_ih = np.concatenate([matrices[g][:, :input_size] for g in gates])  # [G*H, I]
        weight_hh = np.concatenate([matrices[g][:, input_size:] for g in gates])  # [G*H, H]
    bias_ih = np.concatenate([biases[g] for g in gates])  # [G*H]
    bias_hh = np.zeros_like(bias_ih)  # [G*H]
    if update_gate == "weights_candidate":
        weight_ih, weight_hh, bias_ih = _negate_update_gate(hidden, weight_ih, weight_hh, bias_ih)
    weights = DirectionWeights(
        np.ascontiguousarray(weight_ih), np.ascontiguousarray(weight_hh), np.ascontiguousarray(bias_ih), bias_hh
    )
    return _chain(
        function, cell, weights, input_size=int(input_size), hidden_size=hidden, nonlinearity=nonlinearity,
        linear_before_reset=cell != "gru",
    )  # fmt: skip


def model_from_gate_blocks(
    cell: str,
    weight_ih: Any,
    weight_hh: Any,
    bias_ih: Any = None,
    bias_hh: Any = None,
    *,
    gate_order: str | Sequence[str],
    update_gate: str = "keeps_state",
    nonlinearity: str = "tanh",
    linear_before_reset: bool = True,
) -> Chain:
    """PyTorch-shaped arrays with their gate blocks in ``gate_order`` -> a canonical Chain.

    ``weight_ih [G*H, I]``, ``weight_hh [G*H, H]``, ``bias_ih``/``bias_hh [G*H]`` (zeros when None); block
    ``k`` (rows ``k*H .. (k+1)*H - 1``) belongs to gate ``gate_order[k]``: a string of one-letter gate names
    (``"ifog"``) or a sequence of names. The step is the usual

        a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh,   block k of a = the pre-activation of gate gate_order[k]

    and the blocks are reordered to the canonical ``i, f, g, o`` / ``r, z, n``. ``update_gate`` (gru) as in the
    module's docstring (``"weights_candidate"`` negates the ``z`` block of all four arrays);
    ``linear_before_reset`` (gru): whether the reset gate multiplies ``W_hn h + b_hn`` (true, PyTorch) or
    ``h`` before ``W_hn`` (false); ``nonlinearity`` for an rnn.
    """
    function = "model_from_gate_blocks"
    _check_cell(function, cell, update_gate, nonlinearity)
    if not isinstance(linear_before_reset, bool):
        raise _fail(function, f"linear_before_reset must be True or False, got {linear_before_reset!r}")
    if not linear_before_reset and cell != "gru":
        raise _fail(function, f"linear_before_reset=False applies to a gru only, not {cell}")
    if not isinstance(gate_order, Sequence) or not all(isinstance(name, str) for name in gate_order):  # a str is one
        raise _fail(function, f"gate_order must be a string of gate letters or a sequence of names, got {gate_order!r}")
    given_order = list(gate_order)
    order = _canonical_names(function, cell, given_order, f"gate_order {''.join(given_order)!r}")
    count = len(order)
    w_ih = _real(function, "weight_ih", weight_ih, 2)
    w_hh = _real(function, "weight_hh", weight_hh, 2)
    if w_ih.shape[0] % count or w_ih.shape[0] == 0 or w_ih.shape[1] == 0:
        raise _fail(function, f"weight_ih has shape {list(w_ih.shape)}: its rows must be {count} gate blocks [G*H, I]")
    hidden = w_ih.shape[0] // count
    input_size = int(w_ih.shape[1])
    _shape(function, "weight_hh", w_hh, (count * hidden, hidden), f"[G*H, H] with G = {count}, H = {hidden}")
    arrays = [w_ih, w_hh]
    for label, value in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
        if value is None:
            arrays.append(np.zeros(count * hidden))
            continue
        bias = _real(function, label, value, 1)
        _shape(function, label, bias, (count * hidden,), f"[G*H] with G = {count}, H = {hidden}")
        arrays.append(bias)
    where = {gate: k for k, gate in enumerate(order)}
    rows = np.concatenate([np.arange(hidden) + where[g] * hidden for g in CANONICAL_GATES[cell]])
    canonical = [np.ascontiguousarray(a[rows]) for a in arrays]  # blocks in canonical order
    if update_gate == "weights_candidate":
        canonical = _negate_update_gate(hidden, *canonical)
    return _chain(
        function, cell, DirectionWeights(*canonical), input_size=input_size, hidden_size=hidden,
        nonlinearity=nonlinearity, linear_before_reset=linear_before_reset,
    )  # fmt: skip
