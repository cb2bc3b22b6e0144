"""``python -m rnn_rosetta.fixturegen [--check] [--only NAME ...]``."""

from rnn_rosetta.fixturegen.generate import main

raise SystemExit(main())
