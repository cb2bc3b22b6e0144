"""The fixture generator: seeded models and inputs, expected values from independent oracles."""
