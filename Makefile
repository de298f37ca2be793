.PHONY: help install test lint bench docs

help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

install:  ## install with the test dependencies
	pip install -e '.[test]'

test:  ## run the whole test suite (what CI runs)
	pytest -n 2

lint:  ## static checks (ruff, and mypy over src as configured in pyproject.toml)
	ruff check src tests benchmarks scripts
	mypy

bench:  ## run every benchmark (a few minutes; prints Markdown tables)
	python benchmarks/run.py

docs:  ## regenerate generated docs
	python scripts/gen_settings_doc.py
