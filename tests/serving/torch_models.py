"""The PyTorch test module of ``site/servingtorch.py``, importable as installed code."""

from __future__ import annotations

from tests.serving.models import SITE  # noqa: F401 - puts site/ on sys.path

from servingtorch import TinyNet  # noqa: E402

__all__ = ["TinyNet"]
