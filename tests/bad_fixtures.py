"""A catalogue of broken fixture files, each made from a good one by one mutation.

Each entry says which JSON path (or phrase) the refusal must name. Every
reader refuses every entry alike: the Python loader, the C demo and the Java
demo (tests/test_bad_fixtures.py requires the same verdict from all three).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rnn_rosetta import paths

Document = dict[str, Any]


@dataclass(frozen=True)
class BadFixture:
    name: str
    base: str  # the committed fixture it starts from
    mutate: Callable[[Document], Document | bytes]
    path: str  # the JSON path (or phrase) the one-line error must contain


def base_document(name: str) -> Document:
    return json.loads((paths.fixtures_dir() / f"{name}.json").read_text("utf-8"))


def make(bad: BadFixture) -> bytes:
    result = bad.mutate(copy.deepcopy(base_document(bad.base)))
    return result if isinstance(result, bytes) else json.dumps(result).encode()


def _walk(doc: Document, path: str) -> tuple[Any, Any]:
    """``(parent, key)`` of the node at ``a.b.0.c`` (digits index lists)."""
    keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
    node: Any = doc
    for key in keys[:-1]:
        node = node[key]
    return node, keys[-1]


def _set(path: str, value: Any) -> Callable[[Document], Document]:
    """A mutation that sets the node at ``path`` to ``value``."""

    def mutate(doc: Document) -> Document:
        parent, key = _walk(doc, path)
        parent[key] = value
        return doc

    return mutate


def _delete(path: str) -> Callable[[Document], Document]:
    def mutate(doc: Document) -> Document:
        parent, key = _walk(doc, path)
        del parent[key]
        return doc

    return mutate


def _rename(path: str, new_key: str) -> Callable[[Document], Document]:
    """A mutation that renames the key at ``path`` (a misspelling), keeping its value."""

    def mutate(doc: Document) -> Document:
        parent, key = _walk(doc, path)
        parent[new_key] = parent.pop(key)
        return doc

    return mutate


def _text(replace: str, by: str) -> Callable[[Document], bytes]:
    """A mutation of the JSON text itself (for what json.dumps cannot write)."""

    def mutate(doc: Document) -> bytes:
        text = json.dumps(doc)
        assert replace in text
        return text.replace(replace, by, 1).encode()

    return mutate


def _drop_column(path: str) -> Callable[[Document], Document]:
    """Drop the last item of every row of the matrix at ``path``."""

    def mutate(doc: Document) -> Document:
        parent, key = _walk(doc, path)
        for row in parent[key]:
            row.pop()
        return doc

    return mutate


def _ragged(path: str) -> Callable[[Document], Document]:
    """Make row 2 of the matrix at ``path`` one item longer than the others."""

    def mutate(doc: Document) -> Document:
        parent, key = _walk(doc, path)
        parent[key][2].append(0.5)
        return doc

    return mutate


def _widen(path: str, extra: int) -> Callable[[Document], Document]:
    """Append ``extra`` zeros to every row of the matrix at ``path``."""

    def mutate(doc: Document) -> Document:
        parent, key = _walk(doc, path)
        for row in parent[key]:
            row.extend([0.0] * extra)
        return doc

    return mutate


def _wrap(path: str) -> Callable[[Document], Document]:
    """Put the array at ``path`` inside one more level (a [B][O] array becomes [1][B][O])."""

    def mutate(doc: Document) -> Document:
        parent, key = _walk(doc, path)
        parent[key] = [parent[key]]
        return doc

    return mutate


def _copy(source: str, target: str) -> Callable[[Document], Document]:
    """Set the node at ``target`` to a copy of the node at ``source``."""

    def mutate(doc: Document) -> Document:
        parent, key = _walk(doc, source)
        value = copy.deepcopy(parent[key])
        parent, key = _walk(doc, target)
        parent[key] = value
        return doc

    return mutate


def _keep_forward_only(doc: Document) -> Document:
    for layer in doc["model"]["layers"]:
        del layer["reverse"]
    return doc


W_HH = "model.layers.0.forward.weight_hh"
W_IH = "model.layers.0.forward.weight_ih"
HEAD = "lstm_softmax_head"  # lstm 5 -> 7, forward, softmax head of 4; case 0 has no state
BI = "lstm_bidirectional_lengths"  # lstm 3 -> 5, 2 layers, bidirectional; case 4 has lengths
# version 2 ("a model is a chain")
SEQ = "seq_classifier"  # embedding 20x6 -> lstm 8 -> lstm 8 -> last -> dense 3 softmax; case 1: h0, c0 [2][3][8]
MERGES = "gru_bidirectional_merges"  # gru 3->5 bi sum -> gru 5->4 bi mul -> gru 4->3 bi ave, sequence, no dense
STACK = "stack_64_32_softmax"  # lstm 5->12 -> lstm 12->7 -> last -> dense 4; case 1: h0 slots [3][12], [3][7]

VOCABULARY = list("abcdefghijklmnopqrst")  # 20 characters: one per row of SEQ's embedding


def _with_vocabulary(vocabulary: Any) -> Callable[[Document], Document]:
    """Add ``vocabulary`` after ``model``, where the writer puts it."""

    def mutate(doc: Document) -> Document:
        keys = list(doc)
        at = keys.index("model") + 1
        ordered = {k: doc[k] for k in keys[:at]} | {"vocabulary": vocabulary} | {k: doc[k] for k in keys[at:]}
        return ordered

    return mutate


# version 2: a case's backward block (docs/fixture-format.md#gradients)
GRAD_LSTM = "grad_lstm_projection_bidirectional"  # bi lstm 3->6 proj 4 concat -> dense 3; x inputs; weight_hh [24][4]
GRAD_RNN = "grad_rnn_tanh_relu_stack"  # rnn 4->5 -> rnn 5->3, sequence, no dense: no c, no y; h slots [B][5], [B][3]
GRAD_TOKENS = "grad_embedding_last_readout"  # embedding 9x4 -> lstm 6 -> gru 5 -> last -> dense 7; token inputs
GRAD_WEIGHT_HH = "layers.0.forward.weight_hh"


def _grad_weights(case: int, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[Document], Document]:
    """A mutation of ``cases[case].backward.expected.weights`` (its keys hold dots, so no ``_walk``)."""

    def mutate(doc: Document) -> Document:
        expected = doc["cases"][case]["backward"]["expected"]
        expected["weights"] = change(expected["weights"])
        return doc

    return mutate


def _drop_weight_column(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(weights: dict[str, Any]) -> dict[str, Any]:
        for row in weights[name]:
            row.pop()
        return weights

    return change


def _swap_first_two(weights: dict[str, Any]) -> dict[str, Any]:
    keys = list(weights)
    keys[0], keys[1] = keys[1], keys[0]
    return {k: weights[k] for k in keys}


def _set_weight(name: str, value: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(weights: dict[str, Any]) -> dict[str, Any]:
        return {**weights, name: value}

    return change


def _without_weight(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda weights: {k: v for k, v in weights.items() if k != name}


def _string_at(name: str, index: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(weights: dict[str, Any]) -> dict[str, Any]:
        weights[name][index] = "0.5"
        return weights

    return change


def _all_d_null(doc: Document) -> Document:
    doc["cases"][0]["backward"].update(d_output=None, d_h_n=None, d_c_n=None, d_y=None)
    return doc


GRAD = "cases[0].backward"
GRAD_EXPECTED = "cases[0].backward.expected"

CATALOGUE: tuple[BadFixture, ...] = (
    BadFixture("empty_file", HEAD, lambda d: b"", "empty"),
    BadFixture("whitespace_only", HEAD, lambda d: b"  \n\t ", "empty"),
    BadFixture("not_json", HEAD, lambda d: b"{oops", "JSON"),
    BadFixture("truncated", HEAD, lambda d: json.dumps(d).encode()[:500], "JSON"),
    BadFixture("not_utf8", HEAD, lambda d: b'{"format": "\xff\xfe"}', "UTF-8"),
    BadFixture("top_level_array", HEAD, lambda d: b"[1, 2, 3]", "object"),
    BadFixture("top_level_number", HEAD, lambda d: b"42", "object"),
    BadFixture("deep_nesting", HEAD, lambda d: b"[" * 200000 + b"]" * 200000, "nested"),
    BadFixture("deep_nesting_in_weights", HEAD, _set(W_HH, json.loads("[" * 500 + "]" * 500)), W_HH.replace(".0.", "[0].")),
    BadFixture("duplicate_key", HEAD, _text('"hidden_size": 7', '"hidden_size": 7, "hidden_size": 8'), "duplicate key 'hidden_size'"),
    BadFixture("clip_huge_integer", HEAD, _set("model.clip", 10**400), "model.clip"),
    BadFixture("wrong_format", HEAD, _set("format", "onnx"), "format"),
    BadFixture("unknown_version", HEAD, _set("version", 3), "version"),
    BadFixture("missing_model", HEAD, _delete("model"), "model"),
    BadFixture("missing_hidden_size", HEAD, _delete("model.hidden_size"), "hidden_size"),
    BadFixture("unknown_top_field", HEAD, _set("weights", []), "weights"),
    BadFixture("unknown_model_field", HEAD, _set("model.hiden_size", 7), "hiden_size"),
    BadFixture("hidden_size_string", HEAD, _set("model.hidden_size", "7"), "model.hidden_size"),
    BadFixture("hidden_size_fraction", HEAD, _set("model.hidden_size", 4.5), "model.hidden_size"),
    BadFixture("hidden_size_null", HEAD, _set("model.hidden_size", None), "model.hidden_size"),
    BadFixture("hidden_size_zero", HEAD, _set("model.hidden_size", 0), "model.hidden_size"),
    BadFixture("hidden_size_negative", HEAD, _set("model.hidden_size", -7), "model.hidden_size"),
    BadFixture("hidden_size_1e12", HEAD, _set("model.hidden_size", 10**12), "model.hidden_size"),
    BadFixture("hidden_size_2_31", HEAD, _set("model.hidden_size", 2**31), "model.hidden_size"),
    BadFixture("input_size_2_64", HEAD, _set("model.input_size", 2**64), "model.input_size"),
    BadFixture("num_layers_huge", HEAD, _set("model.num_layers", 10**9), "model.num_layers"),
    BadFixture("hidden_size_mismatch", HEAD, _set("model.hidden_size", 6), "model.layers[0].forward"),
    BadFixture("unknown_cell", HEAD, _set("model.cell", "transformer"), "model.cell"),
    BadFixture("unknown_direction", HEAD, _set("model.direction", "sideways"), "model.direction"),
    BadFixture("direction_wrong_type", HEAD, _set("model.direction", 1), "model.direction"),
    BadFixture("string_in_weights", HEAD, _set(W_HH + ".3.1", "0.5"), "model.layers[0].forward.weight_hh[3][1]"),
    BadFixture("null_in_weights", HEAD, _set(W_HH + ".3.1", None), "model.layers[0].forward.weight_hh[3][1]"),
    BadFixture("bool_in_weights", HEAD, _set(W_HH + ".3.1", True), "model.layers[0].forward.weight_hh[3][1]"),
    BadFixture("object_in_weights", HEAD, _set(W_HH + ".3", {"a": 1}), "model.layers[0].forward.weight_hh[3]"),
    BadFixture("nan_literal", HEAD, _text('"bias_ih": [', '"bias_ih": [NaN, '), "NaN"),
    BadFixture("infinity_literal", HEAD, _text('"bias_hh": [', '"bias_hh": [-Infinity, '), "Infinity"),
    BadFixture("overflowing_number", HEAD, _text('"bias_hh": [', '"bias_hh": [1e400, '), "model.layers[0].forward.bias_hh"),
    BadFixture("ragged_weights", HEAD, _ragged(W_HH), "model.layers[0].forward.weight_hh"),
    BadFixture("weight_hh_short_rows", HEAD, _drop_column(W_HH), "model.layers[0].forward.weight_hh"),
    BadFixture("weight_ih_short_rows", HEAD, _drop_column(W_IH), "model.layers[0].forward.weight_ih"),
    BadFixture("missing_bias", HEAD, _delete("model.layers.0.forward.bias_hh"), "bias_hh"),
    BadFixture("vector_for_matrix", HEAD, _set(W_HH, [0.1, 0.2]), "model.layers[0].forward.weight_hh"),
    BadFixture("num_layers_disagree", HEAD, _set("model.num_layers", 2), "model.layers"),
    BadFixture("layers_empty", HEAD, _set("model.layers", []), "model.layers"),
    BadFixture("direction_disagrees", BI, _keep_forward_only, "model.layers[0]"),
    BadFixture("peepholes_without_arrays", HEAD, _set("model.peepholes", True), "peephole_i"),
    BadFixture("proj_on_gru", "gru_small", _set("model.proj_size", 2), "model.proj_size"),
    BadFixture("proj_too_big", HEAD, _set("model.proj_size", 7), "model.proj_size"),
    BadFixture("clip_negative", HEAD, _set("model.clip", -1.0), "model.clip"),
    BadFixture("clip_string", HEAD, _set("model.clip", "1"), "model.clip"),
    BadFixture("head_unknown_activation", HEAD, _set("model.head.activation", "sigmoid"), "model.head"),
    BadFixture("head_wrong_width", HEAD, _drop_column("model.head.weight"), "model.head.weight"),
    BadFixture("head_bias_empty", HEAD, _set("model.head.bias", []), "model.head"),
    BadFixture("x_wrong_input_size", HEAD, _drop_column("cases.0.inputs.x.0"), "cases[0].inputs.x"),
    BadFixture("x_empty", HEAD, _set("cases.0.inputs.x", []), "cases[0].inputs.x"),
    BadFixture("x_missing", HEAD, _delete("cases.0.inputs.x"), "cases[0].inputs"),
    BadFixture("x_ragged_time", HEAD, lambda d: (d["cases"][0]["inputs"]["x"][3].pop(), d)[1], "cases[0].inputs.x"),
    BadFixture("h0_wrong_shape", "lstm_small", _drop_column("cases.1.inputs.h0.0"), "cases[1].inputs.h0"),
    BadFixture("h0_wrong_shape_case0", "lstm_small", _set("cases.0.inputs.h0", [[[0.0]]]), "cases[0].inputs.h0"),
    BadFixture("c0_on_gru", "gru_small", _set("cases.0.inputs.c0", [[[0.0] * 6] * 3]), "cases[0].inputs.c0"),
    BadFixture("lengths_zero", BI, _set("cases.0.inputs.lengths", [0, 5, 5]), "cases[0].inputs.lengths[0]"),
    BadFixture("lengths_too_long", BI, _set("cases.0.inputs.lengths", [5, 6, 5]), "cases[0].inputs.lengths[1]"),
    BadFixture("lengths_negative", BI, _set("cases.0.inputs.lengths", [-1, 5, 5]), "cases[0].inputs.lengths"),
    BadFixture("lengths_wrong_count", BI, _set("cases.0.inputs.lengths", [5, 5]), "cases[0].inputs.lengths"),
    BadFixture("lengths_fraction", BI, _set("cases.0.inputs.lengths", [2.5, 5, 5]), "cases[0].inputs.lengths[0]"),
    BadFixture("expected_missing_c_n", HEAD, _delete("cases.0.expected.c_n"), "cases[0].expected"),
    BadFixture("expected_missing_y", HEAD, _delete("cases.0.expected.y"), "cases[0].expected"),
    BadFixture("expected_wrong_shape", HEAD, _drop_column("cases.0.expected.output.0"), "cases[0].expected.output"),
    BadFixture("tolerance_missing", HEAD, _delete("tolerance"), "tolerance"),
    BadFixture("tolerance_negative", HEAD, _set("tolerance.rtol", -1), "tolerance.rtol"),
    BadFixture("duplicate_case_names", "lstm_small", _set("cases.1.name", "zero_state"), "cases[1].name"),
    BadFixture("cases_not_a_list", HEAD, _set("cases", {"a": 1}), "cases"),
    # misspelled keys, one per object kind: a reader that ignored them would run a different model
    BadFixture("misspelled_clip", HEAD, _rename("model.clip", "clp"), "model.clp"),
    BadFixture("misspelled_layer_weight", HEAD, _rename(W_HH, "wieght_hh"), "model.layers[0].forward.wieght_hh"),
    BadFixture("misspelled_direction_key", HEAD, _rename("model.layers.0.forward", "foward"), "model.layers[0].foward"),
    BadFixture("misspelled_head_key", HEAD, _rename("model.head.bias", "bais"), "model.head.bais"),
    BadFixture("misspelled_case_key", HEAD, _rename("cases.0.expected", "expectd"), "cases[0].expectd"),
    BadFixture("misspelled_input_key", "lstm_small", _rename("cases.1.inputs.h0", "h_0"), "cases[1].inputs.h_0"),
    BadFixture("misspelled_expected_key", HEAD, _rename("cases.0.expected.h_n", "hn"), "cases[0].expected.hn"),
    BadFixture("misspelled_tolerance_key", HEAD, _rename("tolerance.atol", "atl"), "tolerance.atl"),
    # rules where the readers once disagreed
    BadFixture("relu_on_lstm", HEAD, _set("model.nonlinearity", "relu"), "model.nonlinearity"),
    BadFixture("relu_on_gru", "gru_small", _set("model.nonlinearity", "relu"), "model.nonlinearity"),
    BadFixture("nesting_65_in_provenance", HEAD, _set("provenance.note", json.loads("[" * 64 + "]" * 64)), "provenance.note"),
    BadFixture("lone_surrogate_in_description", HEAD, _text('"description": "', '"description": "\\ud800'), "UTF-16 surrogate"),
    BadFixture("lone_surrogate_in_key", HEAD, _text('"provenance": {', '"provenance": {"\\udc00": 1, '), "UTF-16 surrogate"),
    BadFixture("nul_in_description", HEAD, _text('"description": "', '"description": "a\\u0000b'), "\\u0000 in a string is not accepted"),
    BadFixture("nul_in_key", HEAD, _text('"provenance": {', '"provenance": {"a\\u0000": 1, '), "\\u0000 in a string is not accepted"),
    BadFixture("unknown_key_in_last_case", "lstm_small", _set("cases.3.inputs.mask", None), "cases[3].inputs.mask"),
    # version 2: chains
    BadFixture("v2_unknown_layer_key", SEQ, _set("model.layers.0.bias", 1), "model.layers[0].bias"),
    BadFixture("v2_v1_key_in_model", SEQ, _set("model.num_layers", 2), "model.num_layers"),
    BadFixture("v2_missing_layer_cell", SEQ, _delete("model.layers.0.cell"), "cell"),
    BadFixture("v2_layers_empty", SEQ, _set("model.layers", []), "model.layers"),
    BadFixture("v2_merge_on_forward_layer", SEQ, _set("model.layers.0.merge", "sum"), "model.layers[0].merge"),
    BadFixture("v2_concat_on_forward_layer", SEQ, _set("model.layers.1.merge", "concat"), "model.layers[1].merge"),
    BadFixture("v2_unknown_merge", MERGES, _set("model.layers.0.merge", "max"), "model.layers[0].merge"),
    BadFixture("v2_unknown_readout", SEQ, _set("model.readout", "first"), "model.readout"),
    BadFixture("v2_relu_on_lstm", SEQ, _set("model.layers.0.nonlinearity", "relu"), "model.layers[0].nonlinearity"),
    BadFixture("v2_tanh_on_lstm", SEQ, _set("model.layers.0.nonlinearity", "tanh"), "model.layers[0].nonlinearity"),
    BadFixture("v2_lbr_on_lstm", SEQ, _set("model.layers.1.linear_before_reset", True), "model.layers[1].linear_before_reset"),
    BadFixture("v2_proj_on_gru", MERGES, _set("model.layers.0.proj_size", 2), "model.layers[0].proj_size"),
    BadFixture("v2_dense_unknown_activation", SEQ, _set("model.dense.0.activation", "gelu"), "model.dense[0].activation"),
    BadFixture("v2_dense_wrong_width", SEQ, _drop_column("model.dense.0.weight"), "model.dense[0].weight"),
    BadFixture("v2_dense_bias_empty", SEQ, _set("model.dense.0.bias", []), "model.dense[0].bias"),
    BadFixture("v2_embedding_wrong_width", SEQ, _drop_column("model.embedding.weight"), "model.embedding.weight"),
    BadFixture("v2_embedding_empty", SEQ, _set("model.embedding.weight", []), "model.embedding.weight"),
    BadFixture("v2_width_after_sum_merge", MERGES, _widen("model.layers.1.forward.weight_ih", 5), "model.layers[1].forward.weight_ih"),
    BadFixture("v2_token_out_of_range", SEQ, _set("cases.0.inputs.tokens.0.0", 20), "cases[0].inputs.tokens[0][0]"),
    BadFixture("v2_token_negative", SEQ, _set("cases.0.inputs.tokens.2.1", -1), "cases[0].inputs.tokens[2][1]"),
    BadFixture("v2_token_fraction", SEQ, _set("cases.0.inputs.tokens.1.0", 1.5), "cases[0].inputs.tokens[1][0]"),
    BadFixture("v2_tokens_ragged", SEQ, lambda d: (d["cases"][0]["inputs"]["tokens"][3].pop(), d)[1], "cases[0].inputs.tokens[3]"),
    BadFixture("v2_tokens_missing", SEQ, _delete("cases.0.inputs.tokens"), "cases[0].inputs"),
    BadFixture("v2_tokens_without_embedding", STACK, _set("cases.0.inputs.tokens", [[0, 1, 2]]), "cases[0].inputs.tokens"),
    BadFixture("v2_x_with_embedding", SEQ, _set("cases.0.inputs.x", [[[0.0] * 6] * 3] * 5), "cases[0].inputs.x"),
    BadFixture("v2_h0_slot_wrong_size", STACK, _drop_column("cases.1.inputs.h0.1"), "cases[1].inputs.h0[1]"),
    BadFixture("v2_h0_slot_count", STACK, lambda d: (d["cases"][1]["inputs"]["h0"].pop(), d)[1], "cases[1].inputs.h0"),
    BadFixture("v2_c0_without_lstm", MERGES, _set("cases.0.inputs.c0", [[[0.0] * 5] * 3] * 6), "cases[0].inputs.c0"),
    BadFixture("v2_c_n_without_lstm", MERGES, _copy("cases.0.expected.h_n", "cases.0.expected.c_n"), "cases[0].expected.c_n"),
    BadFixture("v2_y_wrong_rank_for_last", SEQ, _wrap("cases.0.expected.y"), "cases[0].expected.y"),
    BadFixture("v2_y_missing", SEQ, _delete("cases.0.expected.y"), "cases[0].expected"),
    BadFixture("v2_y_without_dense", MERGES, _copy("cases.0.expected.output", "cases.0.expected.y"), "cases[0].expected.y"),
    BadFixture("v2_expected_empty", SEQ, _set("cases.0.expected", {}), "cases[0].expected"),
    BadFixture("v2_h_n_slot_wrong_size", STACK, _drop_column("cases.0.expected.h_n.0"), "cases[0].expected.h_n[0]"),
    # version 2: the vocabulary (docs/fixture-format.md#vocabulary)
    BadFixture("v2_vocabulary_without_embedding", STACK, _with_vocabulary(VOCABULARY[:4]), "vocabulary: a vocabulary needs model.embedding"),
    BadFixture("v2_vocabulary_too_short", SEQ, _with_vocabulary(VOCABULARY[:19]), "vocabulary: expected 20 entries (the embedding's rows), got 19"),
    BadFixture("v2_vocabulary_too_long", SEQ, _with_vocabulary([*VOCABULARY, "u"]), "vocabulary: expected 20 entries"),
    BadFixture("v2_vocabulary_empty_entry", SEQ, _with_vocabulary([*VOCABULARY[:3], "", *VOCABULARY[4:]]), "vocabulary[3]"),
    BadFixture("v2_vocabulary_two_characters", SEQ, _with_vocabulary([*VOCABULARY[:5], "ab", *VOCABULARY[6:]]), "vocabulary[5]"),
    BadFixture("v2_vocabulary_combining_pair", SEQ, _with_vocabulary([*VOCABULARY[:5], "e\u0301", *VOCABULARY[6:]]), "vocabulary[5]"),
    BadFixture("v2_vocabulary_number_entry", SEQ, _with_vocabulary([*VOCABULARY[:7], 7, *VOCABULARY[8:]]), "vocabulary[7]"),
    BadFixture("v2_vocabulary_null_entry", SEQ, _with_vocabulary([*VOCABULARY[:7], None, *VOCABULARY[8:]]), "vocabulary[7]"),
    BadFixture("v2_vocabulary_duplicate", SEQ, _with_vocabulary([*VOCABULARY[:7], "c", *VOCABULARY[8:]]), "vocabulary[7]: duplicate of vocabulary[2]"),
    BadFixture("v2_vocabulary_not_a_list", SEQ, _with_vocabulary("abcdefghijklmnopqrst"), "vocabulary"),
    BadFixture("v1_vocabulary_unknown_key", HEAD, _with_vocabulary(VOCABULARY[:4]), "vocabulary: unknown key"),
    # version 2: backward (gradients); the same path and words from every reader
    BadFixture("v1_backward_unknown_key", HEAD, _set("cases.0.backward", None), "cases[0].backward: unknown key"),
    BadFixture("v2_grad_unknown_key", GRAD_LSTM, _set("cases.0.backward.d_x", None), f"{GRAD}.d_x: unknown key"),
    BadFixture("v2_grad_unknown_expected_key", GRAD_LSTM, _rename("cases.0.backward.expected.h0", "h_0"), f"{GRAD_EXPECTED}.h_0: unknown key"),
    BadFixture("v2_grad_expected_missing", GRAD_LSTM, _delete("cases.0.backward.expected"), f"{GRAD}: missing required key 'expected'"),
    BadFixture("v2_grad_h0_missing", GRAD_LSTM, _delete("cases.0.backward.expected.h0"), f"{GRAD_EXPECTED}: missing required key 'h0'"),
    BadFixture("v2_grad_all_d_null", GRAD_LSTM, _all_d_null, f"{GRAD}: at least one of d_output, d_h_n, d_c_n, d_y must be given (not null)"),
    BadFixture("v2_grad_d_output_wrong_shape", GRAD_LSTM, _drop_column("cases.0.backward.d_output.0"), f"{GRAD}.d_output: expected shape [4, 2, 8], got [4, 2, 7]"),
    BadFixture("v2_grad_d_h_n_slot_wrong_size", GRAD_RNN, _drop_column("cases.0.backward.d_h_n.1"), f"{GRAD}.d_h_n[1]: expected shape [2, 3], got [2, 2]"),
    BadFixture("v2_grad_d_c_n_without_lstm", GRAD_RNN, _copy("cases.0.backward.d_h_n", "cases.0.backward.d_c_n"), f"{GRAD}.d_c_n: the model has no lstm layer, so no cell state"),
    BadFixture("v2_grad_d_y_without_y", GRAD_RNN, _copy("cases.0.backward.d_output", "cases.0.backward.d_y"), f"{GRAD}.d_y: the model produces no y"),
    BadFixture("v2_grad_d_y_wrong_rank", GRAD_TOKENS, _wrap("cases.0.backward.d_y"), f"{GRAD}.d_y: expected a [B][O] (readout 'last') array, got 3 levels"),
    BadFixture("v2_grad_weight_wrong_shape", GRAD_LSTM, _grad_weights(1, _drop_weight_column(GRAD_WEIGHT_HH)), f"cases[1].backward.expected.weights.{GRAD_WEIGHT_HH}: expected shape [24, 4], got [24, 3]"),
    BadFixture("v2_grad_weight_missing", GRAD_LSTM, _grad_weights(0, _without_weight("layers.0.reverse.bias_hh")), f"{GRAD_EXPECTED}.weights: missing 'layers.0.reverse.bias_hh'"),
    BadFixture("v2_grad_weight_extra", GRAD_LSTM, _grad_weights(0, _set_weight("layers.0.forward.peephole_i", [0.0] * 6)), f"{GRAD_EXPECTED}.weights.layers.0.forward.peephole_i: not an array of this model"),
    BadFixture("v2_grad_weight_out_of_order", GRAD_LSTM, _grad_weights(0, _swap_first_two), f"{GRAD_EXPECTED}.weights.{GRAD_WEIGHT_HH}: out of chain order: expected 'layers.0.forward.weight_ih' at position 0"),
    BadFixture("v2_grad_weight_string", GRAD_LSTM, _grad_weights(0, _string_at("dense.0.bias", 1)), f"{GRAD_EXPECTED}.weights.dense.0.bias[1]: expected a number, got a string"),
    BadFixture("v2_grad_x_missing", GRAD_LSTM, _delete("cases.0.backward.expected.x"), f"{GRAD_EXPECTED}: missing 'x'"),
    BadFixture("v2_grad_x_with_tokens", GRAD_TOKENS, _set("cases.0.backward.expected.x", [[[0.0] * 4] * 2] * 4), f"{GRAD_EXPECTED}.x: the inputs are tokens"),
    BadFixture("v2_grad_c0_missing", GRAD_LSTM, _delete("cases.0.backward.expected.c0"), f"{GRAD_EXPECTED}: missing 'c0'"),
    BadFixture("v2_grad_c0_without_lstm", GRAD_RNN, _copy("cases.0.backward.expected.h0", "cases.0.backward.expected.c0"), f"{GRAD_EXPECTED}.c0: the model has no lstm layer, so no cell state"),
    BadFixture("v2_grad_h0_slot_count", GRAD_RNN, lambda d: (d["cases"][0]["backward"]["expected"]["h0"].pop(), d)[1], f"{GRAD_EXPECTED}.h0: expected 2 slots"),
)  # fmt: skip
