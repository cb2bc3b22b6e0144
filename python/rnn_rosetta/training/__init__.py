"""Training a character model (docs/training.md) in numpy, C or Java, with the same batches and losses.

- :mod:`~rnn_rosetta.training.batches`: the text as token ids, cut into streams and windows;
- :mod:`~rnn_rosetta.training.trainer`: the settings, the numpy step and the loop (state carry and reset);
- :mod:`~rnn_rosetta.training.c_trainer`, :mod:`~rnn_rosetta.training.java_trainer`: the same step in
  librnn_rosetta (``rr_trainer_*``) and in ``rnnrosetta.train.Trainer``;
- :mod:`~rnn_rosetta.training.fixture_out`: the trained model as a fixture (``--out``).

The command is :mod:`rnn_rosetta.train_cli` (``rnn-rosetta train``).
"""
