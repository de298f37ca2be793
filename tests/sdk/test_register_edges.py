"""Registering: an empty folder is refused unless asked for, and a version without a
flavor has none (NULL), so filters on ``flavor IS NULL`` find it."""

from __future__ import annotations

import pytest

from modelyard import InvalidParameter, NotFound


def test_an_empty_folder_is_refused_unless_allowed(client, tmp_path):
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)  # folders, but no file
    with pytest.raises(InvalidParameter, match="no files") as err:
        client.register("m", empty)
    assert "allow_empty" in str(err.value)
    with pytest.raises(NotFound):  # nothing was created on the way
        client.get_model("m")
    v = client.register("m", empty, allow_empty=True)
    assert (v.version, v.file_count, v.files or []) == (1, 0, [])


def test_unflavored_versions_match_flavor_is_null(client, model_dir):
    client.register("m", model_dir)
    client.register("m", model_dir, flavor="sklearn")
    assert client.get_version("m", 1).flavor is None
    assert [v.version for v in client.search_versions("flavor IS NULL").items] == [1]
    assert [v.version for v in client.search_versions("flavor IS NOT NULL").items] == [2]
    assert [v.version for v in client.search_versions("flavor = 'sklearn'").items] == [2]
