"""The web links the SDK prints (and ClearML's web app builds) open modelyard's pages."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.clearml.conftest import Runner, clearml_env, fresh_home


def test_results_page_and_model_links_redirect_to_the_ui(
        server_url: str, run_script: Runner, tmp_path: Path) -> None:
    produced = run_script("producer.py", clearml_env(server_url, fresh_home(tmp_path, "p")),
                          "linked", "train", "linked_model")
    task, project = produced["task"], produced["project"]
    assert produced["page"] == f"{server_url}/projects/{project}/experiments/{task}/output/log"
    with httpx.Client(base_url=server_url) as http:
        for link in (produced["page"], f"/projects/*/tasks/{task}/output/log",
                     f"/projects/{project}/experiments/{task}"):
            r = http.get(link)
            assert (r.status_code, r.headers["location"]) == (302, f"/runs/{task}"), link
        assert http.get(f"/runs/{task}").status_code == 200
        r = http.get(f"/projects/{project}/models/{produced['model']}/general")
        assert (r.status_code, r.headers["location"]) == (302, "/models/linked_model/versions/1")
        assert http.get(r.headers["location"]).status_code == 200
        r = http.get(f"/projects/{project}/experiments")
        assert (r.status_code, r.headers["location"]) == (302, f"/experiments/{project}")
        assert http.get(f"/projects/{project}/models/{'0' * 24}p{project}").status_code == 404
        assert http.get(f"/projects/{project}/experiments/not-a-task").status_code == 404
