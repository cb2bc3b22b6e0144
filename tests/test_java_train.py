"""Java training (docs/training.md): the pieces (rnnrosetta.train), the Trainer, ``Demo --train`` and FixtureWriter.

Oracles: PyTorch float64 (``F.cross_entropy``, ``clip_grad_norm_``, ``torch.optim.Adam`` / ``SGD``, and a torch
implementation of the whole training procedure written out here: nn.LSTM / nn.GRU per layer, streams and windows
as the spec states them); numpy's losses.py / optimizers.py around the numpy ChainNet's backward, composed here.
The Java code is reached through JPype and as the demo process.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rnn_rosetta as rr
from rnn_rosetta import paths
from rnn_rosetta.backends import get_backend
from rnn_rosetta.backward.weights import chain_weights, chain_with_weights
from rnn_rosetta.chain import Chain, Dense, Embedding
from rnn_rosetta.losses import softmax_cross_entropy
from rnn_rosetta.model import DirectionWeights, Layer, Model
from rnn_rosetta.optimizers import SGD, Adam, clip_grad_norm
from tests.conftest import import_torch_or_skip_module, require_backend
from tests.test_java_generation import VOCABULARY, char_chain, write_fixture

RTOL = 1e-12  # a piece against torch: the same operations, in the same order or nearly
RUN_RTOL = 1e-9  # a whole run against another implementation (docs/training.md)
LINE = re.compile(r"step (\d+) loss (\S+)")
TEXT = "abc cab. bac a b c\nzyx é 中 QQ ab ba cab abc. xyz zy é.\nb c a\n" * 3  # characters of VOCABULARY


@pytest.fixture(scope="module")
def java() -> Any:
    require_backend("java")
    from rnn_rosetta.backends.java_backend import start_jvm

    return start_jvm()


@pytest.fixture(scope="module")
def torch() -> Any:
    return import_torch_or_skip_module()


def doubles(values: Any) -> Any:
    import jpype

    return jpype.JArray(jpype.JDouble)(np.ascontiguousarray(values, dtype=np.float64).ravel().tolist())


def ints(values: Any) -> Any:
    import jpype

    return jpype.JArray(jpype.JInt)(np.ascontiguousarray(values, dtype=np.int64).ravel().tolist())


def array_list(arrays: list[np.ndarray]) -> Any:
    import jpype

    out = jpype.JClass("java.util.ArrayList")()
    for a in arrays:
        out.add(doubles(a))
    return out


def close(got: Any, want: Any, rtol: float = RTOL, atol: float = 0.0) -> None:
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64), rtol, atol)


# -- 1. the pieces against PyTorch float64 ----------------------------------------------------------


def test_cross_entropy_is_torch_cross_entropy(java: Any, torch: Any) -> None:
    rand = np.random.default_rng(3)
    for rows, classes, scale in [(1, 1, 1.0), (7, 5, 3.0), (40, 12, 30.0), (3, 200, 0.01)]:
        z = rand.normal(0, scale, (rows, classes))
        y = rand.integers(0, classes, rows)
        zt = torch.tensor(z, requires_grad=True)
        want = torch.nn.functional.cross_entropy(zt, torch.tensor(y))
        want.backward()
        dz = doubles(np.zeros(rows * classes))
        got = java.train.SoftmaxCrossEntropy.lossAndGradient(doubles(z), rows, classes, ints(y), dz)
        close(float(got), want.item())
        close(np.array(dz).reshape(rows, classes), zt.grad.numpy(), atol=1e-17)


def test_cross_entropy_refuses_bad_targets(java: Any) -> None:
    import jpype

    with pytest.raises(jpype.JException, match=r"targets\[1\] = 3 is not in 0 \.\. 2"):
        java.train.SoftmaxCrossEntropy.lossAndGradient(doubles(np.zeros(6)), 2, 3, ints([0, 3]), doubles(np.zeros(6)))


@pytest.mark.parametrize("max_norm", [0.5, 3.0, 1e6])
def test_clipping_is_clip_grad_norm(java: Any, torch: Any, max_norm: float) -> None:
    rand = np.random.default_rng(int(max_norm * 10))
    grads = [rand.normal(0, 1, shape) for shape in [(4, 3), (5,), (1,), (2, 7)]]
    tensors = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(tensors, grads, strict=True):
        t.grad = torch.tensor(g)
    want = torch.nn.utils.clip_grad_norm_(tensors, max_norm)
    lists = array_list(grads)
    total = java.train.GradientClipping.clip(lists, max_norm)
    close(float(total), want.item())
    for k, t in enumerate(tensors):
        close(np.array(lists.get(k)), t.grad.numpy().ravel())


def random_run(rand: np.random.Generator, steps: int) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    params = [rand.normal(0, 1, shape) for shape in [(6, 4), (6,), (3,)]]
    grads = [[rand.normal(0, 10.0 ** rand.integers(-4, 2), p.shape) for p in params] for _ in range(steps)]
    return params, grads


@pytest.mark.parametrize(("name", "momentum"), [("adam", 0.0), ("sgd", 0.9), ("sgd", 0.0)])
def test_optimizers_follow_torch_for_50_steps(java: Any, torch: Any, name: str, momentum: float) -> None:
    params, grads = random_run(np.random.default_rng(11), 50)
    tensors = [torch.tensor(p, requires_grad=True) for p in params]
    lr = 2e-3 if name == "adam" else 0.05
    opt = torch.optim.Adam(tensors, lr=lr) if name == "adam" else torch.optim.SGD(tensors, lr=lr, momentum=momentum)
    java_params = array_list(params)
    java_opt = java.train.Adam(lr, False) if name == "adam" else java.train.Sgd(lr, momentum, False)
    for step in grads:
        for t, g in zip(tensors, step, strict=True):
            t.grad = torch.tensor(g)
        opt.step()
        java_opt.step(java_params, array_list(step))
    for k, t in enumerate(tensors):
        close(np.array(java_params.get(k)), t.detach().numpy().ravel())
    assert int(java_opt.steps()) == 50


def test_float32_optimizers_follow_torch_float32(java: Any, torch: Any) -> None:
    params, grads = random_run(np.random.default_rng(12), 50)
    params = [p.astype(np.float32).astype(np.float64) for p in params]
    tensors = [torch.tensor(p, dtype=torch.float32, requires_grad=True) for p in params]
    opt = torch.optim.Adam(tensors, lr=1e-2)
    java_params = array_list(params)
    java_opt = java.train.Adam(1e-2, True)
    for step in grads:
        step32 = [g.astype(np.float32) for g in step]
        for t, g in zip(tensors, step32, strict=True):
            t.grad = torch.tensor(g)
        opt.step()
        java_opt.step(java_params, array_list([g.astype(np.float64) for g in step32]))
    for k, t in enumerate(tensors):
        got = np.array(java_params.get(k))
        assert np.array_equal(got, got.astype(np.float32).astype(np.float64))  # float values
        close(got, t.detach().numpy().ravel(), rtol=1e-5, atol=1e-6)


def test_text_batches_are_the_spec_streams_and_windows(java: Any) -> None:
    tokens = list(range(23))
    for batch, bptt in [(4, 2), (3, 50), (1, 1), (5, 3)]:
        batches = java.train.TextBatches(ints(tokens), batch, bptt)
        length = (len(tokens) - 1) // batch
        windows = -(-length // bptt)
        assert (int(batches.streamLength()), int(batches.windows())) == (length, windows)
        for step in range(2 * windows + 1):
            w = step % windows
            steps = min(bptt, length - w * bptt)
            window = batches.forStep(step)
            x = [tokens[b * length + w * bptt + t] for t in range(steps) for b in range(batch)]  # [T, B] flat
            y = [tokens[b * length + w * bptt + t + 1] for t in range(steps) for b in range(batch)]
            assert (int(window.seqLen()), int(window.index())) == (steps, w)
            assert list(window.inputs()) == x and list(window.targets()) == y
            assert bool(batches.resetsState(step)) == (w == 0)


def test_text_batches_refuse_short_texts_and_foreign_characters(java: Any) -> None:
    import jpype

    from tests.test_java_api import IAE, refuses

    message = refuses(lambda: java.train.TextBatches(ints(range(4)), 4, 10), IAE)
    assert message == "the text is too short for 4 streams (4 characters; at least 5 needed)"
    message = refuses(lambda: java.train.TextBatches(ints([]), 1, 10), IAE)
    assert message == "the text is too short for 1 streams (0 characters; at least 2 needed)"
    vocabulary = jpype.JClass("java.util.List").of(*VOCABULARY)
    assert list(java.train.TextBatches.encode("aé中\n", vocabulary)) == [0, 5, 6, 10]
    message = refuses(lambda: java.train.TextBatches.encode("ab\u043e", vocabulary), IAE)
    assert message == "character 2 (line 1, U+043E) is not in the vocabulary"
    # counted in code points from 0; the line from 1: the newlines before it + 1
    message = refuses(lambda: java.train.TextBatches.encode("a\n中\n\nb\U0001f600", vocabulary), IAE)
    assert message == "character 6 (line 4, U+1F600) is not in the vocabulary"
    message = refuses(lambda: java.train.TextBatches.encode("ab\n\u0001", vocabulary), IAE)
    assert message == "character 3 (line 2, U+0001) is not in the vocabulary"


# -- 2. the trainer against numpy and PyTorch --------------------------------------------------------


def spec_windows(tokens: list[int], batch: int, bptt: int, steps: int) -> list[tuple[np.ndarray, np.ndarray, bool]]:
    """docs/training.md's streams and windows, written out: (x [T, B], y [T, B], starts from zeros) per step."""
    length = (len(tokens) - 1) // batch
    windows = -(-length // bptt)
    out = []
    for step in range(steps):
        w = step % windows
        rows = range(w * bptt, min((w + 1) * bptt, length))
        x = np.array([[tokens[b * length + t] for b in range(batch)] for t in rows])
        y = np.array([[tokens[b * length + t + 1] for b in range(batch)] for t in rows])
        out.append((x, y, w == 0))
    return out


def logits_chain(chain: Chain) -> Chain:
    from dataclasses import replace

    return replace(chain, dense=(*chain.dense[:-1], replace(chain.dense[-1], activation="identity")))


def torch_losses(torch: Any, chain: Chain, windows: list[Any], optimizer: str, lr: float, clip: float) -> list[float]:
    """The training procedure in PyTorch float64: F.embedding -> nn.LSTM / nn.GRU per layer -> linear, the loss
    F.cross_entropy, clip_grad_norm_, torch.optim; the state carried as plain numbers (detached)."""
    assert chain.embedding is not None
    table = torch.tensor(chain.embedding.weight, requires_grad=True)
    modules, params = [], [table]
    for layer in chain.layers:
        module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[layer.cell](
            layer.input_size, layer.hidden_size, dtype=torch.float64
        )
        w = layer.layers[0].forward
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(module, f"{name}_l0").copy_(torch.from_numpy(getattr(w, name)))
        modules.append(module)
        params += [module.weight_ih_l0, module.weight_hh_l0, module.bias_ih_l0, module.bias_hh_l0]
    weight = torch.tensor(chain.dense[-1].weight, requires_grad=True)
    bias = torch.tensor(chain.dense[-1].bias, requires_grad=True)
    params += [weight, bias]
    opt = torch.optim.Adam(params, lr=lr) if optimizer == "adam" else torch.optim.SGD(params, lr=lr, momentum=0.9)
    losses: list[float] = []
    state: list[Any] = []
    for x, y, fresh in windows:
        if fresh:
            state = [None] * len(modules)
        opt.zero_grad()
        out = torch.nn.functional.embedding(torch.from_numpy(x), table)  # [T, B, E]
        new_state = []
        for module, s in zip(modules, state, strict=True):
            out, s = module(out, s)
            new_state.append(tuple(v.detach() for v in s) if isinstance(s, tuple) else s.detach())
        state = new_state
        z = out @ weight.T + bias  # [T, B, V]
        loss = torch.nn.functional.cross_entropy(z.reshape(-1, z.shape[-1]), torch.from_numpy(y).reshape(-1))
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(params, clip)
        opt.step()
        losses.append(loss.item())
    return losses


def numpy_losses(chain: Chain, windows: list[Any], optimizer: str, lr: float, clip: float) -> tuple[list[float], Any]:
    """The procedure on numpy's ChainNet with losses.py and optimizers.py; -> (losses, the final weights)."""
    weights = chain_weights(chain)
    opt = Adam(lr=lr) if optimizer == "adam" else SGD(lr=lr, momentum=0.9)
    losses, state = [], None
    for x, y, fresh in windows:
        net = get_backend("numpy").load(chain_with_weights(chain, weights))
        h0, c0 = (None, None) if fresh or state is None else state
        result = net.forward(x, h0, c0, keep=True)
        loss, dz = softmax_cross_entropy(np.asarray(result.y), y)
        grads = net.backward(d_y=dz).weights
        if clip > 0:
            grads, _ = clip_grad_norm(grads, clip)
        weights = opt.step(weights, grads)
        state = (list(result.h_n), None if result.c_n is None else list(result.c_n))
        losses.append(loss)
    return losses, weights


def java_trainer_losses(
    java: Any, chain: Chain, windows: list[Any], config: Any, dtype: str = "float64", kernel: str = "AUTO"
) -> Any:
    """rnnrosetta.train.Trainer through JPype, the state carried by the caller; -> (losses, trainer)."""
    from rnn_rosetta.backends.java_backend import java_chain_spec

    spec, code = java_chain_spec(java, chain), java.Kernel.valueOf(kernel)
    net = java.Chain(spec, code) if dtype == "float64" else java.Chain32(spec, code)
    trainer = java.train.Trainer(net, config)
    h_size = sum(chain.state_sizes) * windows[0][0].shape[1]
    c_size = sum(chain.cell_state_sizes) * windows[0][0].shape[1]
    h, c = doubles(np.zeros(h_size)), doubles(np.zeros(c_size)) if c_size else None
    losses = []
    for x, y, fresh in windows:
        if fresh:
            h, c = doubles(np.zeros(h_size)), doubles(np.zeros(c_size)) if c_size else None
        h_next, c_next = doubles(np.zeros(h_size)), doubles(np.zeros(c_size)) if c_size else None
        losses.append(float(trainer.step(x.shape[0], x.shape[1], ints(x), ints(y), h, c, h_next, c_next)))
        h, c = h_next, c_next
    return losses, trainer


def small_run(steps: int = 20) -> tuple[Chain, list[Any]]:
    chain = char_chain(seed=4, cells=("lstm", "gru"), sizes=(6, 5))
    tokens = [VOCABULARY.index(ch) for ch in TEXT]
    return chain, spec_windows(tokens, 3, 7, steps)


@pytest.mark.parametrize(("optimizer", "lr", "clip"), [("adam", 0.01, 1.0), ("sgd", 0.05, 0.0)])
def test_the_trainer_follows_numpy_and_torch_for_20_steps(
    java: Any, torch: Any, optimizer: str, lr: float, clip: float
) -> None:
    chain, windows = small_run()
    logits = logits_chain(chain)
    config = java.train.TrainConfig(optimizer, lr, 0.9, clip)
    got, trainer = java_trainer_losses(java, logits, windows, config)
    want = torch_losses(torch, logits, windows, optimizer, lr, clip)
    ours, weights = numpy_losses(logits, windows, optimizer, lr, clip)
    close(got, want, rtol=RUN_RTOL)
    close(got, ours, rtol=RUN_RTOL)
    assert got[-1] < got[0] if optimizer == "adam" else True
    params = trainer.params()
    assert list(params.keySet()) == list(weights)  # chain order, the dotted paths of backward
    for path, w in weights.items():
        close(np.array(params.get(path)), w.ravel(), rtol=1e-8, atol=1e-12)


def test_float32_trainer_stays_near_float64(java: Any) -> None:
    chain, windows = small_run(8)
    config = java.train.TrainConfig("adam", 0.01, 0.9, 1.0)
    wide, _ = java_trainer_losses(java, logits_chain(chain), windows, config)
    narrow, trainer = java_trainer_losses(java, logits_chain(chain), windows, config, "float32")
    close(narrow, wide, rtol=1e-4)
    assert bool(trainer.float32()) and trainer.chain() is None
    for values in trainer.params().values():
        v = np.array(values)
        assert np.array_equal(v, v.astype(np.float32).astype(np.float64))


def test_the_trainer_refuses_what_is_not_a_logits_chain(java: Any) -> None:
    import jpype

    from rnn_rosetta.backends.java_backend import java_chain_spec

    config = java.train.TrainConfig.defaults()
    softmax = java.Chain(java_chain_spec(java, char_chain()))
    with pytest.raises(jpype.JException, match="activation must be identity"):
        java.train.Trainer(softmax, config)
    with pytest.raises(jpype.JException, match="--optimizer must be adam or sgd"):
        java.train.TrainConfig("rmsprop", 0.1, 0.0, 0.0)
    with pytest.raises(jpype.JException, match="--lr must be a finite number > 0"):
        java.train.TrainConfig("adam", 0.0, 0.0, 0.0)


# -- 3. the demo -------------------------------------------------------------------------------------


def demo(*args: str) -> subprocess.CompletedProcess[str]:
    require_backend("java")
    classpath = f"{paths.java_jar()}:{paths.gson_jar()}"
    command = ["java", "-cp", classpath, "rnnrosetta.demo.Demo", *args]
    env = {"LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"}
    return subprocess.run(command, capture_output=True, timeout=60, check=False, env=env, text=True, encoding="utf-8")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("train")
    text = root / "text.txt"
    text.write_text(TEXT, "utf-8")
    chain, _ = small_run()
    return {"fixture": write_fixture(root / "char.json", chain), "text": text, "root": root}


def test_demo_prints_the_torch_losses_and_writes_the_trained_model(java: Any, torch: Any, files: Any) -> None:
    out = files["root"] / "trained.json"
    args = ["--data", str(files["text"]), "--steps", "9", "--bptt", "7", "--batch", "3", "--lr", "0.01"]
    done = demo("--train", *args, "--clip-norm", "1", "--log-every", "4", "--out", str(out), str(files["fixture"]))
    assert done.returncode == 0 and done.stderr == "", done.stderr
    *lines, wrote = done.stdout.splitlines()
    assert wrote == f"wrote {out}"
    chain, windows = small_run(9)
    want = torch_losses(torch, logits_chain(chain), windows, "adam", 0.01, 1.0)
    parsed = [LINE.fullmatch(line) for line in lines]
    assert [int(m.group(1)) for m in parsed if m] == [4, 8, 9]
    for line, m in zip(lines, parsed, strict=True):
        assert m is not None
        step, loss = int(m.group(1)), float(m.group(2))
        assert line == "step %d loss %.17g" % (step, loss)  # C's %.17g, character for character
        close(loss, want[step - 1], rtol=RUN_RTOL)
    # the file reads back in Python, bit for bit the weights the Java trainer holds after the same run
    written = rr.load_fixture(out)
    assert written.cases == () and written.vocabulary == VOCABULARY and written.name == "generation_test_trained"
    assert isinstance(written.model, Chain) and written.model.dense[-1].activation == "softmax"
    config = java.train.TrainConfig("adam", 0.01, 0.9, 1.0)
    _, trainer = java_trainer_losses(java, logits_chain(chain), windows, config, kernel="PLAIN")  # the demo's
    params = trainer.params()
    for path, w in chain_weights(logits_chain(written.model)).items():
        assert np.array_equal(np.array(params.get(path)), w.ravel()), path
    document = json.loads(out.read_text("utf-8"))
    assert list(document) == [
        "format", "version", "name", "description", "model", "vocabulary", "cases", "tolerance", "provenance",
    ]  # fmt: skip
    assert document["provenance"]["steps"] == 9


def test_demo_trains_in_float32(files: Any) -> None:
    done = demo("--train", "--dtype", "float32", "--data", str(files["text"]), "--steps", "2", "--batch", "2",
                str(files["fixture"]))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [line.split()[1] for line in done.stdout.splitlines()] == ["1", "2"]


def test_the_writer_round_trips_every_double(java: Any) -> None:
    values = [0.1 + 0.2, 2e-3, 1e23, 5e-324, -0.0, 1.7976931348623157e308, 2.2250738585072014e-308, 1 / 3, 123456.0]
    values += list(np.random.default_rng(5).normal(0, 1e3, 200))
    for v in values:
        text = str(java.fixture.FixtureWriter.numberText(float(v)))
        assert json.loads(text) == v and np.signbit(json.loads(text)) == np.signbit(v), (v, text)


@pytest.mark.parametrize(
    "name",
    [
        "lstm_peepholes_bidirectional", "lstm_projection_bidirectional", "gru_cho", "rnn_relu_bidirectional_stacked",
        "lstm_clip", "mixed_cells_dense", "gru_bidirectional_merges", "reverse_last", "char_model",
    ],
)  # fmt: skip
def test_the_writer_writes_every_kind_of_layer_bit_for_bit(java: Any, name: str, tmp_path: Path) -> None:
    """Python writes the model (v1 fixtures as chains), Java reads and writes it again, Python reads that."""
    import jpype

    from rnn_rosetta.chain import chain_from_model
    from rnn_rosetta.fixture_reader import parse_fixture
    from rnn_rosetta.fixture_writer import fixture_document

    fixture = rr.load_fixture(paths.fixtures_dir() / f"{name}.json")
    chain = fixture.model if isinstance(fixture.model, Chain) else chain_from_model(fixture.model)
    source = tmp_path / "source.json"
    document = fixture_document(name, "d", chain, [], fixture.tolerance, {"generator": "test"}, fixture.vocabulary)
    source.write_text(json.dumps(document), "utf-8")
    read = java.fixture.FixtureReader.readAny(str(source))
    provenance = jpype.JClass("java.util.Map").of("generator", "test", "steps", jpype.JInt(3))
    text = str(java.fixture.FixtureWriter.document(name, "d", read.spec(), read.vocabulary(), read.tolerance(),
                                                   provenance))  # fmt: skip
    again = parse_fixture(text, "java")
    assert isinstance(again.model, Chain) and again.model.describe() == chain.describe()
    assert again.vocabulary == fixture.vocabulary and again.tolerance == fixture.tolerance
    mine, theirs = chain_weights(again.model), chain_weights(chain)
    assert list(mine) == list(theirs)
    for path, w in theirs.items():
        assert np.array_equal(mine[path], w), path
    options = ("cell", "hidden_size", "direction", "nonlinearity", "linear_before_reset", "proj_size", "peepholes")
    options += ("clip",)
    for got, want in zip(again.model.layers, chain.layers, strict=True):
        assert [getattr(got, key) for key in options] == [getattr(want, key) for key in options]
    assert again.model.merges == chain.merges and again.model.readout == chain.readout
    assert [d.activation for d in again.model.dense] == [d.activation for d in chain.dense]


def _one_line(done: subprocess.CompletedProcess[str], status: int, *words: str) -> None:
    assert done.returncode == status, (done.returncode, done.stderr)
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("rr_demo: "), done.stderr
    for word in words:
        assert word in done.stderr, (word, done.stderr)


def test_demo_refuses_bad_options_with_exit_2(files: Any) -> None:
    f, text = str(files["fixture"]), str(files["text"])
    cases = [
        (["--steps", "0"], "--steps"), (["--steps", "10000001"], "--steps"), (["--lr", "0"], "--lr"),
        (["--lr", "nan"], "--lr"), (["--momentum", "-1"], "--momentum"), (["--clip-norm", "inf"], "--clip-norm"),
        (["--bptt", "0"], "--bptt"), (["--batch", "x"], "--batch"), (["--optimizer", "rmsprop"], "--optimizer"),
        (["--log-every", "0"], "--log-every"), (["--prime", "a"], "--prime needs --generate"),
    ]  # fmt: skip
    for args, word in cases:
        _one_line(demo("--train", "--data", text, *args, f), 2, word)
    _one_line(demo("--train", f), 2, "--train needs --data")
    _one_line(demo("--data", text, f), 2, "--data needs --train")
    _one_line(demo("--train", "--generate", "--prime", "a", "--data", text, f), 2, "exclude each other")


def test_demo_refuses_texts_and_models_in_one_line(files: Any, tmp_path: Path) -> None:
    from tests.test_java_generation import CANNOT, NO_VOCABULARY

    f = str(files["fixture"])

    def exact(done: subprocess.CompletedProcess[str], status: int, line: str) -> None:
        assert (done.returncode, done.stdout, done.stderr) == (status, "", f"rr_demo: {line}\n")

    outside = tmp_path / "outside.txt"
    outside.write_text("abc\nab\u043e abc", "utf-8")
    message = "character 6 (line 2, U+043E) is not in the vocabulary"
    exact(demo("--train", "--data", str(outside), f), 2, f"{outside}: {message}")
    short = tmp_path / "short.txt"
    short.write_text("abé", "utf-8")
    message = "the text is too short for 16 streams (3 characters; at least 17 needed)"
    exact(demo("--train", "--data", str(short), f), 1, f"{short}: {message}")
    for name, data in [
        ("bad_ff.txt", b"abc\xff"),
        ("cut.txt", "aé".encode() + "中".encode()[:2]),
        ("lone.txt", b"ab\x80c"),
        ("surrogate.txt", b"a\xed\xa0\x80"),
        ("over.txt", b"\xc0\xaf"),
    ]:
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(UnicodeDecodeError) as bad:  # the oracle: Python's strict UTF-8 decoder
            data.decode("utf-8")
        exact(demo("--train", "--data", str(path), f), 1, f"{path}: not UTF-8 (byte {bad.value.start})")
    missing = tmp_path / "nope.txt"
    _one_line(demo("--train", "--data", str(missing), f), 1)
    assert demo("--train", "--data", str(missing), f).stderr.startswith(f"rr_demo: {missing}: cannot read: ")
    _one_line(demo("--train", "--data", str(tmp_path), f), 1)  # a directory
    assert demo("--train", "--data", str(tmp_path), f).stderr.startswith(f"rr_demo: {tmp_path}: cannot read: ")
    v1 = str(paths.fixtures_dir() / "lstm_small.json")
    exact(demo("--train", "--data", str(files["text"]), v1), 1, f"{v1}: {NO_VOCABULARY}")
    plain = write_fixture(tmp_path / "plain.json", char_chain(), vocabulary=None)
    exact(demo("--train", "--data", str(files["text"]), str(plain)), 1, f"{plain}: {NO_VOCABULARY}")
    for label, chain, message in CANNOT:
        path = write_fixture(tmp_path / f"{label.replace(' ', '_')}.json", chain)
        exact(demo("--train", "--data", str(files["text"]), str(path)), 1, f"{path}: {message.format(P='training')}")


def test_demo_refuses_what_the_trainer_refuses_without_a_stack_trace(tmp_path: Path) -> None:
    """T*B*V logits beyond one Java array: the trainer's IllegalArgumentException becomes one line, exit 1."""
    vocabulary = tuple(chr(0x4E00 + k) for k in range(20000))  # V = 20000
    rand = np.random.default_rng(3)
    weights = DirectionWeights(np.ones((1, 1)), np.ones((1, 1)), np.ones(1), np.ones(1))  # rnn, H = 1, E = 1
    layer = Model("rnn", 1, 1, 1, "forward", (Layer(forward=weights),))
    dense = Dense(rand.uniform(-1, 1, (20000, 1)), np.zeros(20000), "softmax")
    chain = Chain((layer,), embedding=Embedding(rand.uniform(-1, 1, (20000, 1))), dense=(dense,), readout="sequence")
    fixture = write_fixture(tmp_path / "wide.json", chain, vocabulary=vocabulary)
    text = tmp_path / "text.txt"
    text.write_text("".join(rand.choice(list(vocabulary), 400 * 300 + 1)), "utf-8")
    done = demo("--train", "--data", str(text), "--batch", "400", "--bptt", "300", "--steps", "1", str(fixture))
    t_b_v = 300 * 400 * 20000  # > 2^31 - 1
    line = f"rr_demo: {fixture}: T*B*V = {t_b_v} logits do not fit one Java array\n"
    assert (done.returncode, done.stdout, done.stderr) == (1, "", line)


@pytest.mark.parametrize(
    ("option", "given"),
    [
        ("--steps", "00000000000000000000000000000000001"), ("--bptt", "0001000000"), ("--batch", "000003"),
        ("--log-every", "000000000000000000000000000000000000000000002"), ("--lr", ".01"), ("--lr", "1e-2"),
        ("--lr", "1E-2"), ("--momentum", "0."), ("--momentum", "9e-1"), ("--clip-norm", "0e0"), ("--clip-norm", "1."),
    ],
)  # fmt: skip
def test_demo_reads_numbers_in_the_one_grammar(files: Any, option: str, given: str) -> None:
    base = {"--steps": "2", "--bptt": "5", "--batch": "3", "--log-every": "1", "--lr": "0.01"}
    args = [x for name, value in base.items() if name != option for x in (name, value)]
    done = demo("--train", "--data", str(files["text"]), *args, option, given, str(files["fixture"]))
    assert done.returncode == 0 and done.stderr == "", done.stderr


@pytest.mark.parametrize(
    ("option", "given"),
    [
        ("--steps", "10000001"), ("--steps", "0000"), ("--steps", "99999999999999999999999999"), ("--steps", "+3"),
        ("--steps", "3 "), ("--steps", "0x3"), ("--bptt", "1000001"), ("--bptt", "-1"),
        ("--batch", "18446744073709551617"), ("--log-every", "10000001"), ("--log-every", ""),
        ("--lr", "-0.1"), ("--lr", "+0.1"), ("--lr", "0"), ("--lr", "0e5"), ("--lr", "1e400"), ("--lr", "inf"),
        ("--lr", "nan"), ("--lr", "0x1p-3"), ("--momentum", "-0"), ("--momentum", "+0"), ("--momentum", "."),
        ("--clip-norm", "-0"), ("--clip-norm", "1e"), ("--clip-norm", "Infinity"),
    ],
)  # fmt: skip
def test_demo_refuses_numbers_outside_the_grammar(files: Any, option: str, given: str) -> None:
    done = demo("--train", "--data", str(files["text"]), option, given, str(files["fixture"]))
    _one_line(done, 2, option, f"'{given}'")


def test_demo_stops_at_a_loss_that_is_not_finite(files: Any) -> None:
    argv = ["--optimizer", "sgd", "--lr", "1.7e308", "--clip-norm", "0", "--batch", "2", "--bptt", "5"]
    done = demo("--train", "--data", str(files["text"]), *argv, "--steps", "5", str(files["fixture"]))
    assert done.returncode == 1 and done.stderr == "rr_demo: step 2: the loss is nan\n", done.stderr
    assert done.stdout.startswith("step 1 loss ") and done.stdout.count("\n") == 1, done.stdout
