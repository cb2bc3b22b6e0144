"""The model rules are stated once: the loader and ``check_model`` refuse alike; no import circle in the package."""

from __future__ import annotations

import ast
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta import model_rules, paths
from rnn_rosetta.fixture_reader import fixture_schema
from rnn_rosetta.fixturegen.specs import spec_by_name
from rnn_rosetta.fixtures import dump_document, fixture_document
from rnn_rosetta.model import CELLS, DIRECTIONS, HEAD_ACTIVATIONS, NONLINEARITIES, DirectionWeights, Head, Layer, Model

PACKAGE = Path(rr.__file__).parent

# -- no import circle ---------------------------------------------------------------


def _module_name(path: Path) -> str:
    parts = ["rnn_rosetta", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    relative = Path(*name.split(".")[1:]) if "." in name else Path()
    return (PACKAGE / relative).with_suffix(".py").exists() or (PACKAGE / relative / "__init__.py").exists()


def _type_checking_lines(tree: ast.AST) -> set[int]:
    """Lines inside ``if TYPE_CHECKING:`` blocks (imports there never run)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def import_graph() -> dict[str, set[str]]:
    """``module -> the package modules it imports`` (at the top or inside a function, not under TYPE_CHECKING)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text("utf-8"))
        skipped = _type_checking_lines(tree)
        targets: set[str] = set()
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in skipped:
                continue
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                for alias in node.names:
                    child = f"{base}.{alias.name}"
                    targets.add(child if _is_module(child) else base)
        graph[name] = {t for t in targets if t.split(".")[0] == "rnn_rosetta" and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as ``[a, b, ..., a]``, or ``None``."""
    state: dict[str, str] = {}  # "open" while on the DFS path, "done" after
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_the_cycle_finder_finds_a_circle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_import_graph_sees_the_package() -> None:
    graph = import_graph()
    assert "rnn_rosetta.model" in graph["rnn_rosetta.model_rules"]
    assert "rnn_rosetta.paths" in graph["rnn_rosetta.backends.c_backend"]  # `from rnn_rosetta import paths`


def test_no_import_cycle_inside_the_package() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


# -- the loader and check_model say the same ----------------------------------------


def _base_model() -> Model:
    return rr.load_fixture(paths.fixtures_dir() / "lstm_softmax_head.json").model  # lstm 5 -> 7, head of 4


def _with(**changes: object) -> Callable[[Model], Model]:
    return lambda model: dataclasses.replace(model, **changes)


def _with_direction(model: Model, **changes: object) -> Model:
    weights = dataclasses.replace(model.layers[0].forward, **changes)
    return dataclasses.replace(model, layers=(Layer(forward=weights),))


def _with_head(model: Model, **changes: object) -> Model:
    assert model.head is not None
    return dataclasses.replace(model, head=dataclasses.replace(model.head, **changes))


BROKEN: dict[str, tuple[Callable[[Model], Model], str]] = {
    "unknown_cell": (_with(cell="transformer"), "model.cell"),
    "hidden_size_zero": (_with(hidden_size=0), "model.hidden_size"),
    "too_many_layers": (_with(num_layers=65), "model.num_layers"),
    "proj_too_big": (_with(proj_size=7), "model.proj_size"),
    "clip_negative": (_with(clip=-1.0), "model.clip"),
    "layer_count": (_with(num_layers=2), "model.layers"),
    "direction_slots": (_with(direction="bidirectional"), "model.layers[0]"),
    "peepholes_missing": (_with(peepholes=True), "model.layers[0].forward"),
    "peephole_unused": (lambda m: _with_direction(m, peephole_i=np.zeros(7)), "model.layers[0].forward.peephole_i"),
    "weight_shape": (lambda m: _with_direction(m, weight_hh=np.zeros((28, 6))), "model.layers[0].forward.weight_hh"),
    "head_activation": (lambda m: _with_head(m, activation="sigmoid"), "model.head.activation"),
    "head_empty": (lambda m: _with_head(m, weight=np.zeros((0, 7)), bias=np.zeros(0)), "model.head.bias"),
    "head_width": (lambda m: _with_head(m, weight=np.zeros((4, 6))), "model.head.weight"),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_loader_and_check_model_refuse_with_the_same_words(name: str) -> None:
    breaks, path = BROKEN[name]
    model = breaks(_base_model())
    with pytest.raises(rr.ModelError) as in_memory:
        rr.check_model(model)
    document = fixture_document(name, "", model, [], {"rtol": 0.0, "atol": 0.0}, {})
    with pytest.raises(rr.FixtureError) as from_file:
        rr.parse_fixture(dump_document(document), "<doc>")
    assert in_memory.value.path == path, str(in_memory.value)
    assert (from_file.value.path, from_file.value.problem) == (in_memory.value.path, in_memory.value.problem)


def test_check_model_accepts_every_committed_model(loaded_fixtures: dict[str, rr.Fixture]) -> None:
    for fixture in loaded_fixtures.values():
        rr.check_model(fixture.model)


def test_check_model_refuses_arrays_that_are_not_float64_numpy() -> None:
    model = _base_model()
    for value, words in ((np.zeros((28, 7), dtype=np.float32), "float64"), ([[0.0] * 7] * 28, "numpy array")):
        with pytest.raises(rr.ModelError, match=words):
            rr.check_model(_with_direction(model, weight_hh=value))
    nan = np.zeros((28, 7))
    nan[3, 1] = np.nan
    with pytest.raises(rr.ModelError, match="non-finite"):
        rr.check_model(_with_direction(model, weight_hh=nan))


def test_the_shipped_schema_states_the_same_bounds() -> None:
    """The published schema and model_rules must not drift apart."""
    defs = fixture_schema()["$defs"]
    options = defs["model"]["properties"]
    assert defs["size"]["maximum"] == model_rules.MAX_SIZE and defs["size"]["minimum"] == 1
    assert options["num_layers"]["maximum"] == model_rules.MAX_LAYERS == options["layers"]["maxItems"]
    assert options["cell"]["enum"] == list(CELLS)
    assert options["direction"]["enum"] == list(DIRECTIONS)
    assert options["nonlinearity"]["enum"] == list(NONLINEARITIES)
    assert defs["head"]["properties"]["activation"]["enum"] == list(HEAD_ACTIVATIONS)
    assert list(defs["layer"]["properties"]) == list(model_rules.DIRECTION_SLOTS)


# -- one writer ----------------------------------------------------------------------


def test_the_writer_reproduces_every_committed_file_byte_for_byte(loaded_fixtures: dict[str, rr.Fixture]) -> None:
    for name, fixture in loaded_fixtures.items():
        committed = (paths.fixtures_dir() / f"{name}.json").read_text("utf-8")
        description = json.loads(committed)["description"]
        document = fixture_document(
            fixture.name, description, fixture.model, fixture.cases, fixture.tolerance, fixture.provenance
        )
        assert dump_document(document) == committed, name


def test_generator_and_interop_share_one_case_type() -> None:
    from rnn_rosetta import interop
    from rnn_rosetta.fixturegen import build

    assert interop.CaseInputs is rr.CaseInputs
    spec_inputs = build.build_model_and_inputs(spec_by_name("lstm_small"))[1]
    assert spec_inputs and all(type(case) is rr.CaseInputs for case in spec_inputs)


def test_direction_weights_of_the_base_model_are_what_the_table_assumes() -> None:
    model = _base_model()
    assert (model.cell, model.input_size, model.hidden_size, model.direction) == ("lstm", 5, 7, "forward")
    assert isinstance(model.layers[0].forward, DirectionWeights) and isinstance(model.head, Head)
