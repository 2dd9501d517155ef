"""Command-line commands, one module per command (registered in :mod:`mibench.cli`)."""
