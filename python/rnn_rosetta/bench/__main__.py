"""``python -m rnn_rosetta.bench``: the benchmark on its own (also the worker's entry point)."""

import sys

from rnn_rosetta.bench.cli import main

sys.exit(main())
