"""Look-alike names are refused (Unicode TR39 skeletons), names are kept in NFC, and
names that differ only in case stay distinct: over both transports and every database."""

from __future__ import annotations

import unicodedata

import pytest

from modelyard import AlreadyExists, InvalidParameter

PRECOMPOSED = "caf\u00e9"
DECOMPOSED = "cafe\u0301"


@pytest.mark.parametrize("lookalike", [
    "\uff46raud-model",     # full-width f
    "fraud\u2010model",     # U+2010 HYPHEN
    "fraud-rnodel",         # 'rn' for 'm'
    "fraud-m\u043edel",     # Cyrillic o
    "fraud\u2011model",     # non-breaking hyphen
])
def test_a_lookalike_of_a_model_is_refused_naming_it(client, lookalike):
    client.create_model("fraud-model")
    with pytest.raises(InvalidParameter) as err:
        client.create_model(lookalike)
    assert "'fraud-model'" in str(err.value)
    assert [m.name for m in client.search_models().items] == ["fraud-model"]


@pytest.mark.parametrize("bad", ["fraud-model ", " fraud-model", "fraud-model\u3000",
                                 "fraud-model\u200b"])
def test_white_space_and_invisible_characters_at_the_ends_are_refused(client, bad):
    with pytest.raises(InvalidParameter):
        client.create_model(bad)


def test_case_variants_stay_distinct(client):
    names = ["fraud-model", "FRAUD-MODEL", "Fraud-Model"]
    for name in names:
        client.create_model(name)
    assert sorted(m.name for m in client.search_models().items) == sorted(names)


def test_names_are_kept_in_nfc_and_found_in_either_form(client):
    m = client.create_model(DECOMPOSED)
    assert m.name == PRECOMPOSED == unicodedata.normalize("NFC", DECOMPOSED)
    with pytest.raises(AlreadyExists):
        client.create_model(PRECOMPOSED)
    assert client.get_model(DECOMPOSED).name == PRECOMPOSED
    e = client.create_experiment(DECOMPOSED)
    assert e.name == PRECOMPOSED
    assert client.get_experiment_by_name(DECOMPOSED).experiment_id == e.experiment_id


def test_rename_and_restore_respect_lookalikes(client):
    client.create_model("fraud-model")
    client.create_model("other")
    with pytest.raises(InvalidParameter, match="fraud-model"):
        client.rename_model("other", "fraud\u2010model")
    # a model may take a look-alike of its own name, or a case variant
    assert client.rename_model("fraud-model", "Fraud-model").name == "Fraud-model"
    client.delete_model("Fraud-model")
    client.create_model("\uff26raud-model")  # full-width F: the original is deleted
    with pytest.raises(InvalidParameter, match="Fraud-model"):
        client.restore_model("Fraud-model")


def test_experiment_and_project_lookalikes_are_refused(client):
    e = client.create_experiment("churn")
    with pytest.raises(InvalidParameter, match="'churn'"):
        client.create_experiment("\u0441hurn")  # Cyrillic es
    other = client.create_experiment("other")
    with pytest.raises(InvalidParameter, match="'churn'"):
        client.rename_experiment(other.experiment_id, "chur\u0578")  # Armenian vo
    client.delete_experiment(e.experiment_id)
    with pytest.raises(InvalidParameter, match="'churn'"):  # deleted names stay taken
        client.create_experiment("\uff43hurn")
    assert client.create_experiment("Churn").name == "Churn"
    client.create_project("vision")
    with pytest.raises(InvalidParameter, match="'vision'"):
        client.create_project("v\u0456sion")  # Cyrillic i
    assert client.create_project("Vision").name == "Vision"
