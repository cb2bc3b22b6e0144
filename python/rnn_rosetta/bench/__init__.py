"""The benchmark harness: our numpy, C and Java backends against PyTorch and ONNX Runtime.

``python -m rnn_rosetta bench [--quick] ...`` runs one worker process per
thread count (:mod:`.worker`), each timing every shape (:mod:`.shapes`) x
dtype x contender (:mod:`.contenders`) interleaved (:mod:`.timing`); the
parent (:mod:`.run`) merges them (:mod:`.results`) with the roofline
(:mod:`.probes`, :mod:`.roofline`) and the speed goals (:mod:`.goals`), prints
the tables (:mod:`.report`) and writes ``bench.json`` and ``bench.png``
(:mod:`.plot`).

``bench --backward`` adds forward + backward rows (:mod:`.backward_cells`, in the first
worker, the shapes but the growth sweep): ``net.forward(x, keep=True)`` + ``net.backward(d_output=)``
for ours, autograd ``out.backward(d_output)`` for PyTorch, each gradient checked, and a "fwd+bwd"
table with "x torch" ratios.

``bench --fixture NAME_OR_FILE [--batch B] [--length T]`` times a fixture's model
instead (a v1 model or a v2 chain): every contender through
:mod:`.fixture_cells` (PyTorch as modules built by :mod:`.chain_torch`), each
answer checked against numpy float64 before the timing; no roofline, bridges or goals.
"""
