"""HTTP in, domain calls out: wiring and translation only."""
