"""The PyTorch test module of ``installed/servingtorch.py``, importable as installed code."""

from __future__ import annotations

from tests.serving.models import INSTALLED  # noqa: F401 - puts installed/ on sys.path

from servingtorch import TinyNet  # noqa: E402

__all__ = ["TinyNet"]
