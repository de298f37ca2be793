"""MLflow 3's prompt registry through the real mlflow client, unchanged: register,
load by version, alias and ``@latest``, aliases, tags, search; and prompts kept apart
from models in MLflow's searches, the native API, the SDK, the CLI and the UI."""

from __future__ import annotations

import httpx
import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from modelyard.client.http import HttpClient

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_prompt_registry_flow(mlflow_url: str, mc: MlflowClient) -> None:
    p1 = mlflow.genai.register_prompt("greet", "Hello {{name}}!", commit_message="first",
                                      tags={"team": "nlp"})
    assert (p1.name, p1.version, p1.template, p1.commit_message) == (
        "greet", 1, "Hello {{name}}!", "first")
    chat = [{"role": "user", "content": "Hi {{name}}"}]
    p2 = mlflow.genai.register_prompt("greet", chat, commit_message="chat")
    assert (p2.version, p2.template) == (2, chat)

    mlflow.genai.set_prompt_alias("greet", "prod", 1)
    assert mlflow.genai.load_prompt("prompts:/greet/1").format(name="Ada") == "Hello Ada!"
    assert mlflow.genai.load_prompt("prompts:/greet@prod").version == 1
    assert mlflow.genai.load_prompt("prompts:/greet@latest").version == 2
    mlflow.genai.delete_prompt_alias("greet", "prod")
    with pytest.raises(MlflowException):
        mlflow.genai.load_prompt("prompts:/greet@prod")

    mc.set_prompt_version_tag("greet", 1, "reviewed", "yes")
    assert mc.get_prompt_version("greet", 1).tags["reviewed"] == "yes"
    mc.delete_prompt_version_tag("greet", 1, "reviewed")
    assert "reviewed" not in mc.get_prompt_version("greet", 1).tags
    mc.set_prompt_tag("greet", "owner", "ana")
    assert mc.get_prompt("greet").tags["owner"] == "ana"
    assert [v.version for v in mc.search_prompt_versions("greet")] == [2, 1]
    assert [p.name for p in mlflow.genai.search_prompts("name = 'greet'")] == ["greet"]

    # A prompt loaded in a run is linked to it, as the client does with MLflow.
    with mlflow.start_run() as run:
        mlflow.genai.load_prompt("prompts:/greet/1")
    assert "greet" in mc.get_run(run.info.run_id).data.tags["mlflow.linkedPrompts"]

    # A name is a model or a prompt, never both.
    mc.create_registered_model("classifier")
    with pytest.raises(MlflowException):
        mlflow.genai.register_prompt("classifier", "x")


def test_prompts_stay_apart_from_models(mlflow_url: str, mc: MlflowClient, services) -> None:  # type: ignore[no-untyped-def]
    mlflow.genai.register_prompt("summarize", "Summarize {{text}}")
    mc.create_registered_model("fraud")
    mc.create_model_version("fraud", "s3://bucket/model")

    # MLflow's searches leave prompts out unless the filter asks for them.
    assert [m.name for m in mc.search_registered_models()] == ["fraud"]
    assert [(v.name, v.version) for v in mc.search_model_versions()] == [("fraud", "1")]
    prompts = "tags.`mlflow.prompt.is_prompt` = 'true'"
    assert [m.name for m in mc.search_registered_models(prompts)] == ["summarize"]
    assert [v.name for v in mc.search_model_versions(prompts)] == ["summarize"]
    api = f"{mlflow_url}/api/2.0/mlflow"
    with httpx.Client() as http:  # raw REST: no clause added by the client
        raw = http.get(f"{api}/registered-models/search").json()["registered_models"]
        assert [m["name"] for m in raw] == ["fraud"]
        bad = http.post(f"{api}/model-versions/create", json={
            "name": "summarize", "source": "s3://elsewhere",
            "tags": [{"key": "mlflow.prompt.is_prompt", "value": "true"},
                     {"key": "mlflow.prompt.text", "value": "x"}]})
        assert bad.status_code == 400 and "Invalid prompt source" in bad.json()["message"]
        bad = http.post(f"{api}/model-versions/create", json={
            "name": "fraud", "source": "models:/summarize/1"})
        assert bad.status_code == 400 and "Prompt versions cannot" in bad.json()["message"]

        # The native API, the SDK and the UI list models; prompts on request.
        def names(path: str, **params: str) -> list[str]:
            body = http.get(f"{mlflow_url}/api/v1/{path}", params=params).json()
            return [m["name"] for m in body[path]]

        assert names("models") == ["fraud"]
        assert names("models", kind="all") == ["fraud", "summarize"]
        assert names("prompts") == ["summarize"]
        assert names("models", filter="kind = 'prompt'") == ["summarize"]  # the filter decides
        assert http.get(f"{mlflow_url}/api/v1/models", params={"kind": "x"}).status_code == 400
        assert [v["model"] for v in http.get(f"{mlflow_url}/api/v1/versions",
                                             params={"kind": "prompt"}).json()["versions"]] == [
            "summarize"]
        page = http.get(f"{mlflow_url}/models").text
        assert "fraud" in page and "summarize" not in page
        assert "summarize" in http.get(f"{mlflow_url}/models", params={"kind": "prompt"}).text
    with HttpClient(mlflow_url) as sdk:
        assert [m.name for m in sdk.iter_models()] == ["fraud"]
        assert [m.name for m in sdk.search_models(kind="prompt").items] == ["summarize"]
        assert [m.name for m in sdk.iter_models(kind="all")] == ["fraud", "summarize"]
    # A long template is kept whole (beyond the 5,000 characters of other tags).
    long = "word " * 3000
    assert mlflow.genai.register_prompt("long", long).template == long


def test_cli_lists_models_without_prompts(mlflow_url: str, mc: MlflowClient) -> None:
    from click.testing import CliRunner

    from modelyard.cli.main import cli

    mlflow.genai.register_prompt("p", "Hi")
    mc.create_registered_model("m")
    runner = CliRunner()
    out = runner.invoke(cli, ["--uri", mlflow_url, "models", "list"]).output
    assert "m" in out.split() and "p" not in out.split()
    out = runner.invoke(cli, ["--uri", mlflow_url, "models", "list", "--kind", "prompt"]).output
    assert "p" in out.split() and "m" not in out.split()
