"""The `modelyard` command line: one thin module per command group."""
