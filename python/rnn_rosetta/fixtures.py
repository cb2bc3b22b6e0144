"""Fixture files (formats v1 and v2, docs/fixture-format.md): the public names, gathered in one place.

The work is done by parts with one job each, named like the C and Java readers' parts:

==================================  =====================================================
:mod:`rnn_rosetta.strict_json`      bytes -> JSON (UTF-8, no NaN/Infinity, no repeated key)
:mod:`rnn_rosetta.json_fields`      typed, shape-checked access with JSON paths
:mod:`rnn_rosetta.model_rules`      the model rules, shared with in-memory checks
:mod:`rnn_rosetta.fixture_reader`   the format: schema + rules + shapes -> :class:`Fixture`
:mod:`rnn_rosetta.fixture_reader_v2` version 2's pass 3: a :class:`Chain` and its cases
:mod:`rnn_rosetta.fixture_writer`   :class:`Model` (v1) or :class:`Chain` (v2) + cases -> document -> text
:mod:`rnn_rosetta.fixture_data`     :class:`Fixture`, :class:`Case`, :class:`CaseInputs`
==================================  =====================================================
"""

from __future__ import annotations

from rnn_rosetta.compare import Tolerance
from rnn_rosetta.fixture_data import FORMAT, VERSION, VERSION_2, VERSIONS, Case, CaseInputs, Fixture
from rnn_rosetta.fixture_reader import fixture_from_document, fixture_schema, load_fixture, parse_fixture
from rnn_rosetta.fixture_writer import (
    case_to_document,
    chain_to_document,
    dump_document,
    fixture_document,
    model_to_document,
    write_fixture_file,
)
from rnn_rosetta.json_fields import json_path

__all__ = [
    "FORMAT",
    "VERSION",
    "VERSIONS",
    "VERSION_2",
    "Case",
    "CaseInputs",
    "Fixture",
    "Tolerance",
    "case_to_document",
    "chain_to_document",
    "dump_document",
    "fixture_document",
    "fixture_from_document",
    "fixture_schema",
    "json_path",
    "load_fixture",
    "model_to_document",
    "parse_fixture",
    "write_fixture_file",
]
