"""``python -m rnn_rosetta``: see :mod:`rnn_rosetta.cli`."""

from rnn_rosetta.cli import main

raise SystemExit(main())
