"""A PyTorch module for the pytorch flavor tests, importable as installed code (imported
only by those tests, so torch is never loaded for the others)."""

from __future__ import annotations

import torch


class TinyNet(torch.nn.Module):
    def __init__(self, n_in: int = 4, n_out: int = 3) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(n_in, n_out)

    def forward(self, x):  # type: ignore[no-untyped-def]
        return torch.softmax(self.linear(x), dim=1)
