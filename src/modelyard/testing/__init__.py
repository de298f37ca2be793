"""Conformance suites shipped with the package, for every backend (and plugins)."""
