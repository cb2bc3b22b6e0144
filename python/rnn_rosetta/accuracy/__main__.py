"""``python -m rnn_rosetta.accuracy`` is ``rnn-rosetta accuracy``."""

from __future__ import annotations

import sys

from rnn_rosetta.accuracy.cli import main

sys.exit(main())
