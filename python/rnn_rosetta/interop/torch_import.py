"""Import PyTorch: recurrent modules (or their bare ``state_dict``) as a :class:`Model`, programs as a Chain.

A bare ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (or cell) or a ``state_dict`` gives a v1 :class:`Model`
(below). Any other ``nn.Module``, a ``torch.export.ExportedProgram`` or a ``.pt2`` file is a whole
program: :mod:`rnn_rosetta.interop.torch_program` walks its ``torch.export`` graph into a
:class:`~rnn_rosetta.chain.Chain` or refuses it with :class:`~rnn_rosetta.errors.ModelImportError`.
:func:`torch_expected` runs either in float64 and gives PyTorch's own answer for one case.

The canonical layout *is* PyTorch's, so the conversion is a renaming plus a
float64 copy; no gate rows move:

=========================================  ======================================
PyTorch parameter                          canonical (``model.layers[l].<dir>``)
=========================================  ======================================
``weight_ih_l{l}``  ``[G*H, I_l]``         ``forward.weight_ih``
``weight_hh_l{l}``  ``[G*H, H_out]``       ``forward.weight_hh``
``bias_ih_l{l}``    ``[G*H]``              ``forward.bias_ih`` (``bias=False``: zeros)
``bias_hh_l{l}``    ``[G*H]``              ``forward.bias_hh`` (``bias=False``: zeros)
``weight_hr_l{l}``  ``[P, H]``             ``forward.weight_hr`` (``proj_size`` P > 0)
``*_l{l}_reverse``                         the same names under ``reverse``
=========================================  ======================================

Gate rows stay as PyTorch stacks them: LSTM ``i, f, g, o``, GRU ``r, z, n``.
``nn.RNN(nonlinearity=...)`` gives ``nonlinearity``; a PyTorch GRU is always
``linear_before_reset: true``; PyTorch has no peepholes, no clip and no
reverse-only direction, so imported models have none of them.

Ignored because they do not change the weights or the inference result:
``batch_first`` (the canonical model is time-major; transpose the inputs),
``dropout`` (only active in training mode; inference never applies it) and
``module.training``. The single-step cells ``nn.RNNCell``/``nn.LSTMCell``/
``nn.GRUCell`` import as one-layer forward models.

An optional head comes from an ``nn.Linear`` (``y_t = W_y output_t + b_y``)
or ``nn.Sequential(nn.Linear, nn.Softmax(dim=-1))``; it must read all
``D * H_out`` features of the output.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np

from rnn_rosetta.chain import Chain
from rnn_rosetta.errors import InputError, ModelImportError
from rnn_rosetta.interop.torch_weights import _BIASES, _REQUIRED, _float64, _model_from_arrays
from rnn_rosetta.model import GATE_COUNT, Head, Model
from rnn_rosetta.model_rules import check_model
from rnn_rosetta.result import Result

# ``nn.RNNBase.mode`` -> (cell, nonlinearity)
TORCH_MODES: dict[str, tuple[str, str]] = {
    "RNN_TANH": ("rnn", "tanh"),
    "RNN_RELU": ("rnn", "relu"),
    "LSTM": ("lstm", "tanh"),
    "GRU": ("gru", "tanh"),
}


def model_from_torch(
    module: Any, head: Any = None, head_activation: str | None = None, *, example_input: Any = None
) -> Model | Chain:
    """A bare ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (or ``*Cell``) -> :class:`Model`; a whole program -> :class:`Chain`.

    Any other ``nn.Module``, a ``torch.export.ExportedProgram`` or the path of a ``.pt2`` file
    (``torch.export.save``) is a *program*: it is exported (``torch.export.export(module.eval(),
    (example_input,))``; without ``example_input`` one is guessed from the first ``nn.Embedding`` or
    recurrent module; ``model_from_torch(program, x)`` passes it positionally) and its graph is
    walked (:mod:`rnn_rosetta.interop.torch_program`); the result is a
    :class:`~rnn_rosetta.chain.Chain` whose ``extra["batch_first"]`` records the program's input
    layout. Whatever the walk does not understand raises
    :class:`~rnn_rosetta.errors.ModelImportError` naming the node; ``head`` is for bare modules only.

    For a bare module:

    ``head``: an optional ``nn.Linear`` or ``nn.Sequential(nn.Linear[, nn.Softmax(dim=-1)
    | nn.Identity])`` applied to every output step; ``head_activation``
    (``"softmax"`` or ``"identity"``) overrides what the head's own modules say
    (a bare ``nn.Linear`` is ``identity``). Every array is a float64 numpy copy
    (float32/float16/bfloat16 weights convert exactly). ``dropout`` is ignored:
    PyTorch applies it between layers in training mode only, and the canonical
    model is the inference computation; ``batch_first`` does not touch the
    weights. Raises ``ValueError`` for anything the canonical model cannot
    represent (another module type, a head that is not a linear layer with an
    optional softmax, non-finite or non-real weights).
    """
    import torch

    from rnn_rosetta.interop import torch_program

    is_bare = isinstance(module, (torch.nn.RNNBase, torch.nn.modules.rnn.RNNCellBase))
    if not is_bare and torch_program.is_program_source(module):
        if isinstance(head, (torch.Tensor, np.ndarray)) and example_input is None:  # model_from_torch(program, x)
            head, example_input = None, head
        if head is not None or head_activation is not None:
            raise ModelImportError(
                "head/head_activation are for a bare nn.RNN/LSTM/GRU; a program's own layers are read"
            )
        return torch_program.chain_from_program(module, example_input)
    if example_input is not None and not is_bare:
        raise ModelImportError(f"example_input is for a whole program, not {type(module).__name__}")
    if isinstance(module, torch.nn.RNNBase):
        cell, nonlinearity = _mode(module)
        tensors = _module_tensors(module)
        declared = {
            "input_size": module.input_size,
            "hidden_size": module.hidden_size,
            "num_layers": module.num_layers,
            "direction": "bidirectional" if module.bidirectional else "forward",
            "proj_size": int(getattr(module, "proj_size", 0)),
        }
    elif isinstance(module, torch.nn.modules.rnn.RNNCellBase):
        cell, nonlinearity = _cell_mode(module)
        tensors = _cell_tensors(module)
        declared = {
            "input_size": module.input_size,
            "hidden_size": module.hidden_size,
            "num_layers": 1,
            "direction": "forward",
            "proj_size": 0,
        }
    else:
        raise ModelImportError(
            f"expected torch.nn.RNN, nn.LSTM or nn.GRU (or their *Cell), an nn.Module program, an ExportedProgram "
            f"or a .pt2 path, got {type(module).__name__}"
        )
    model = _model_from_arrays(tensors, cell, nonlinearity, source=type(module).__name__)
    for name, value in declared.items():
        if getattr(model, name) != value:
            raise ValueError(
                f"{type(module).__name__} declares {name}={value!r} but its parameters describe "
                f"{name}={getattr(model, name)!r}"
            )
    return _with_head(model, head, head_activation)


def model_from_state_dict(
    state_dict: Mapping[str, Any],
    cell: str,
    *,
    nonlinearity: str = "tanh",
    prefix: str = "",
    head: Any = None,
    head_activation: str | None = None,
) -> Model:
    """The canonical :class:`Model` of a bare PyTorch ``state_dict``.

    Everything but the cell is read from the keys and shapes:

    - ``num_layers``: 1 + the largest ``l`` in ``*_l{l}``;
    - ``bidirectional``: whether ``*_reverse`` keys are present;
    - ``hidden_size`` H: ``rows(weight_hh_l0) / G`` (G = 1, 4, 3 for rnn, lstm, gru);
    - ``proj_size`` P: ``rows(weight_hr_l0)`` when present, else 0;
    - ``input_size``: ``cols(weight_ih_l0)``; no ``bias_*`` keys at all: zero biases.

    ``cell`` is ``"rnn"``, ``"lstm"`` or ``"gru"``; ``nonlinearity`` (rnn only)
    is ``"tanh"`` or ``"relu"``, which a state_dict does not record. With
    ``prefix`` (e.g. ``"encoder.rnn."``) only the keys under it are read, so the
    state_dict of a larger model can be given whole; without it every key must
    be a recurrent parameter. ``head``: an ``nn.Linear``-like module or a
    mapping with ``weight`` (and optionally ``bias``); see :func:`model_from_torch`.
    """
    if cell not in GATE_COUNT:
        raise ValueError(f"unknown cell {cell!r}, expected one of {sorted(GATE_COUNT)}")
    if cell == "rnn" and nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"unknown nonlinearity {nonlinearity!r}, expected 'tanh' or 'relu'")
    if cell != "rnn" and nonlinearity != "tanh":
        raise ValueError(f"nonlinearity applies to cell 'rnn' only, not {cell!r}")
    selected = {key[len(prefix) :]: value for key, value in state_dict.items() if key.startswith(prefix)}
    if not selected:
        raise ValueError(f"the state_dict has no key starting with {prefix!r}")
    model = _model_from_arrays(selected, cell, nonlinearity, source="state_dict", prefix=prefix)
    return _with_head(model, head, head_activation)


# -- modules -> named tensors ------------------------------------------------------


def _mode(module: Any) -> tuple[str, str]:
    mode = getattr(module, "mode", None)
    if mode not in TORCH_MODES:
        raise ValueError(f"{type(module).__name__} has mode {mode!r}; expected one of {sorted(TORCH_MODES)}")
    return TORCH_MODES[mode]


def _cell_mode(module: Any) -> tuple[str, str]:
    import torch

    if isinstance(module, torch.nn.LSTMCell):
        return "lstm", "tanh"
    if isinstance(module, torch.nn.GRUCell):
        return "gru", "tanh"
    if isinstance(module, torch.nn.RNNCell):
        return "rnn", module.nonlinearity
    raise ValueError(f"unsupported recurrent cell {type(module).__name__}")


def _module_tensors(module: Any) -> dict[str, Any]:
    """``{state_dict-style name: tensor}`` read through ``getattr`` (so parametrizations apply)."""
    names = []
    for layer in range(module.num_layers):
        for suffix in ("", "_reverse") if module.bidirectional else ("",):
            kinds = list(_REQUIRED) + (list(_BIASES) if module.bias else [])
            if getattr(module, "proj_size", 0):
                kinds.append("weight_hr")
            names += [f"{kind}_l{layer}{suffix}" for kind in kinds]
    return {name: getattr(module, name) for name in names}


def _cell_tensors(module: Any) -> dict[str, Any]:
    kinds = list(_REQUIRED) + (list(_BIASES) if module.bias else [])
    return {f"{kind}_l0": getattr(module, kind) for kind in kinds}


# -- head --------------------------------------------------------------------------


def _head_parts(head: Any) -> tuple[Any, Any, str]:
    """``(weight, bias or None, activation)`` of an ``nn.Linear``, ``nn.Sequential`` or mapping."""
    if isinstance(head, Mapping):
        if "weight" not in head:
            raise ValueError("head: a mapping needs 'weight' (and optionally 'bias')")
        return head["weight"], head.get("bias"), "identity"
    import torch

    if isinstance(head, torch.nn.Linear):
        return head.weight, head.bias, "identity"
    if isinstance(head, torch.nn.Sequential) and len(head) in (1, 2) and isinstance(head[0], torch.nn.Linear):
        activation = "identity"
        if len(head) == 2:
            last = head[1]
            if isinstance(last, torch.nn.Softmax) and last.dim in (-1, 2):
                activation = "softmax"
            elif not isinstance(last, torch.nn.Identity):
                raise ValueError(f"head: only nn.Softmax(dim=-1) or nn.Identity may follow the nn.Linear, got {last!r}")
        return head[0].weight, head[0].bias, activation
    raise ValueError(
        f"head: expected nn.Linear or nn.Sequential(nn.Linear, nn.Softmax(dim=-1)), got {type(head).__name__}"
    )


def _with_head(model: Model, head: Any, activation: str | None) -> Model:
    if head is None:
        if activation is not None:
            raise ValueError("head_activation given without a head")
        return model
    weight, bias, implied = _head_parts(head)
    weight = _float64(weight, "head.weight")
    if weight.ndim != 2:
        raise ValueError(f"head.weight: expected a [O, D*H_out] matrix, got shape {list(weight.shape)}")
    width = model.num_directions * model.output_size
    if weight.shape[1] != width:
        raise ValueError(
            f"head.weight: reads {weight.shape[1]} features but the recurrent output has "
            f"D*H_out = {width} ({model.describe()})"
        )
    bias = np.zeros(weight.shape[0]) if bias is None else _float64(bias, "head.bias")
    chosen = activation or implied
    if chosen not in ("softmax", "identity"):
        raise ValueError(f"head_activation must be 'softmax' or 'identity', got {chosen!r}")
    with_head = Model(**{**model.__dict__, "head": Head(weight=weight, bias=bias, activation=chosen)})
    check_model(with_head)
    return with_head


# -- PyTorch's own answer -------------------------------------------------------------


def torch_expected(module: Any, case: Any, *, example_input: Any = None) -> Result:
    """What PyTorch itself computes, in float64, for one case (inputs time-major, as in a fixture).

    ``case``: anything with ``x`` (``[T, B, I]``) or ``tokens`` (``[T, B]``), ``h0``, ``c0`` and
    ``lengths`` attributes (e.g. :class:`~rnn_rosetta.fixture_data.CaseInputs`). A program (an
    ``nn.Module``, ``ExportedProgram`` or ``.pt2`` path) runs as a float64 copy, fed in its own
    layout (``batch_first`` from the import), and answers ``y`` (or ``output`` for a program that
    returns its top layer's sequence); it takes no initial state. A bare ``nn.RNN/LSTM/GRU`` answers
    ``output``, ``h_n`` and ``c_n``. With ``lengths`` each sequence runs alone on its own prefix
    (what PyTorch computes for it unpadded); padded steps of a sequence answer are 0.
    """
    import torch

    if not isinstance(module, torch.nn.RNNBase):
        return _program_expected(module, case, example_input)
    return _module_expected(module, case)


def _module_expected(module: Any, case: Any) -> Result:
    """A bare recurrent module in float64: ``output [T, B, D*H_out]``, ``h_n``, ``c_n``."""
    import torch

    net = copy.deepcopy(module).double().eval()
    x = np.asarray(case.x, dtype=np.float64)
    h0, c0, lengths = case.h0, case.c0, case.lengths
    steps, batch = x.shape[:2]

    def run(xb: np.ndarray, hb: Any, cb: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        inputs = torch.from_numpy(np.ascontiguousarray(xb))
        if net.batch_first:
            inputs = inputs.transpose(0, 1)
        state: Any = None
        if hb is not None or cb is not None:
            slots = net.num_layers * (2 if net.bidirectional else 1)
            h_out = getattr(net, "proj_size", 0) or net.hidden_size
            h = torch.zeros(slots, xb.shape[1], h_out, dtype=torch.float64) if hb is None else torch.tensor(hb)
            state = h
            if isinstance(net, torch.nn.LSTM):
                c = torch.zeros(slots, xb.shape[1], net.hidden_size, dtype=torch.float64)
                state = (h.double(), c if cb is None else torch.tensor(cb).double())
            else:
                state = h.double()
        with torch.no_grad():
            out, final = net(inputs, state)
        if net.batch_first:
            out = out.transpose(0, 1)
        if isinstance(final, tuple):
            return out.numpy(), final[0].numpy(), final[1].numpy()
        return out.numpy(), final.numpy(), None

    if lengths is None:
        output, h_n, c_n = run(x, h0, c0)
    else:
        pieces = [
            run(
                x[: int(n), b : b + 1],
                None if h0 is None else h0[:, b : b + 1],
                None if c0 is None else c0[:, b : b + 1],
            )
            for b, n in enumerate(lengths)
        ]
        output = np.zeros((steps, batch, pieces[0][0].shape[-1]))
        for b, piece in enumerate(pieces):
            output[: piece[0].shape[0], b] = piece[0][:, 0]
        h_n = np.concatenate([p[1] for p in pieces], axis=1)
        c_n = None if pieces[0][2] is None else np.concatenate([p[2] for p in pieces], axis=1)
    return Result(output=np.ascontiguousarray(output), h_n=h_n, c_n=c_n)


# -- a program's own answer --------------------------------------------------------------


def _program_expected(source: Any, case: Any, example_input: Any = None) -> Any:
    """What the program itself computes in float64 for ``case`` (time-major inputs; see ``torch_expected``)."""
    import torch

    from rnn_rosetta.interop.torch_program import chain_from_program

    chain = chain_from_program(source, example_input)
    if getattr(case, "h0", None) is not None or getattr(case, "c0", None) is not None:
        raise InputError("a PyTorch program starts from zero states; its cases cannot give h0/c0")
    tokens = getattr(case, "tokens", None)
    given = tokens if chain.takes_tokens else getattr(case, "x", None)
    if given is None:
        raise InputError(f"the program takes {'tokens' if chain.takes_tokens else 'x'}; the case gives none")
    given = np.asarray(given)
    run = _float64_runner(source)
    batch_first = bool(chain.extra["batch_first"])
    lengths = getattr(case, "lengths", None)
    steps, batch = given.shape[:2]

    def call(part: np.ndarray) -> np.ndarray:
        tensor = torch.from_numpy(np.ascontiguousarray(part, dtype=np.int64 if chain.takes_tokens else np.float64))
        if batch_first:
            tensor = tensor.transpose(0, 1)
        try:
            with torch.no_grad():
                out = run(tensor)
        except Exception as exc:
            line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(f"the program refused input of shape {list(tensor.shape)}: {line}") from None
        out = out.detach().to(torch.float64)
        if chain.readout == "sequence" and chain.extra.get("output_batch_first"):
            out = out.transpose(0, 1)
        return out.numpy()

    if lengths is None:
        answer = call(given)
    else:  # each sequence alone on its own prefix: what the program computes for it without padding
        parts = [call(given[: int(length), b : b + 1]) for b, length in enumerate(lengths)]
        if chain.readout == "last":
            answer = np.concatenate(parts, axis=0)
        else:  # padded steps: the output is 0 there (format v2), and y is the dense layers on that 0
            answer = np.zeros((steps, batch, parts[0].shape[-1]))
            answer[:] = _dense_on_zero(chain)
            for b, part in enumerate(parts):
                answer[: part.shape[0], b] = part[:, 0]
    answer = np.ascontiguousarray(answer)
    if chain.readout == "sequence" and not chain.dense:
        return Result(output=answer)
    return Result(y=answer)


def _dense_on_zero(chain: Chain) -> np.ndarray:
    """PyTorch's answer for the dense layers read on a zero output step (what a padded step holds)."""
    import torch

    functions = {"identity": lambda v: v, "softmax": lambda v: torch.softmax(v, dim=-1), "tanh": torch.tanh,
                 "sigmoid": torch.sigmoid, "relu": torch.relu}  # fmt: skip
    v = torch.zeros(chain.output_width, dtype=torch.float64)
    for dense in chain.dense:
        v = functions[dense.activation](
            torch.nn.functional.linear(v, torch.tensor(dense.weight), torch.tensor(dense.bias))
        )
    return v.numpy()


def _float64_runner(source: Any) -> Any:
    """A callable running the program in float64: a float64 copy of the module, or of the exported graph."""
    import torch

    if isinstance(source, torch.nn.Module) and not isinstance(source, torch.fx.GraphModule):
        module = copy.deepcopy(source).double().eval()
        return module
    from rnn_rosetta.interop.torch_program import exported_program

    program = exported_program(source)
    module = program.module()
    for node in module.graph.nodes:
        if node.kwargs.get("dtype") in (torch.float32, torch.float16, torch.bfloat16):
            node.update_kwarg("dtype", torch.float64)
    module.recompile()
    return module.double()
