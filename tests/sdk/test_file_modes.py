"""The data folder is private whatever the umask: folders 0700, the database and other
files 0600, stored blobs read-only 0400."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

# Registers a model in the embedded default (a folder), as a user's first command does,
# then leaves a partial upload in flight behind so that its mode can be seen too.
_SCRIPT = """
import sys
from modelyard.client.local import LocalClient
c = LocalClient(sys.argv[1])
c.register("fraud", sys.argv[2])
w = c.services.blobs.writer(None, 1 << 20)
w.write(b"partial")
w.fh.flush()
print(w.tmp)
"""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_data_folder_is_private_whatever_the_umask(tmp_path, model_dir, umask):
    home = tmp_path / "data" / "modelyard-data"
    out = subprocess.run([sys.executable, "-c", _SCRIPT, str(home), str(model_dir)],
                         capture_output=True, text=True, timeout=120, check=True,
                         preexec_fn=lambda: os.umask(umask))  # noqa: PLW1509 - no threads
    part = Path(out.stdout.strip().splitlines()[-1])
    folders = [home, *(p for p in home.rglob("*") if p.is_dir())]
    files = [p for p in home.rglob("*") if p.is_file()]
    blobs = [p for p in files if "sha256" in p.parts]
    assert {home / "blobs", home / "blobs" / "tmp", home / "blobs" / "sha256"} <= set(folders)
    assert len(blobs) == 2  # the model's two files
    assert (home / "modelyard.db") in files
    for folder in folders:
        assert _mode(folder) == 0o700, folder
    for f in files:
        expected = 0o400 if f in blobs else 0o600
        assert _mode(f) == expected, (f, oct(_mode(f)))
    assert part.parent == home / "blobs" / "tmp" and part in files
