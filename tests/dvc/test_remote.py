"""The DVC remote with the real ``dvc`` CLI and ``dvc-http``: push, clone and pull,
status, ``dvc.api.open``, permissions, md5 verification and deduplication."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest

from modelyard.client.http import HttpClient
from modelyard.services import Services
from tests.dvc.conftest import Run, add_remote

MODEL = b"fraud model v1 " * 1000


def _tracked(repo: Path) -> None:
    (repo / "models").mkdir()
    (repo / "models" / "fraud_model_v1.pkl").write_bytes(MODEL)
    data = repo / "data" / "raw"
    data.mkdir(parents=True)
    for i in range(5):
        (data / f"part-{i}.csv").write_text(f"id,amount\n{i},{i * 10}\n")


def _clone(run: Run, repo: Path, where: Path) -> Path:
    run(where.parent, "git", "clone", "-q", str(repo), str(where))
    return where


@pytest.fixture
def users(server_url: str, admin_token: str) -> dict[str, str]:
    with HttpClient(server_url, token=admin_token) as root:
        root.create_project("fraud")
        out = {"root": admin_token}
        for name in ("ed", "vi", "nobody"):
            root.create_user(name, password=f"{name}-password-1")
            out[name] = root.create_token("dvc", user=name).secret or ""
        root.grant_role("ed", "editor", project="fraud")
        root.grant_role("vi", "viewer", project="fraud")
    return out


def test_push_clone_pull_status_and_api_open(run: Run, dvc_repo: Path, server_url: str,
                                             users: dict[str, str], tmp_path: Path,
                                             services: Services) -> None:
    remote = f"{server_url}/dvc/fraud"
    _tracked(dvc_repo)
    run(dvc_repo, "dvc", "add", "models/fraud_model_v1.pkl", "data/raw")
    add_remote(run, dvc_repo, remote, users["ed"], user="ed")
    run(dvc_repo, "git", "add", "-A")
    run(dvc_repo, "git", "commit", "-qm", "model and data")
    pushed = run(dvc_repo, "dvc", "push")
    assert "7 files pushed" in pushed.stdout  # 6 files and the folder's manifest
    status = run(dvc_repo, "dvc", "status", "-c")
    assert "in sync" in status.stdout

    # The bytes are in the one blob store under their sha256, indexed by md5.
    sha = hashlib.sha256(MODEL).hexdigest()
    assert services.blobs.has(sha)
    with services.store.read() as tx:
        found = tx.dvc.get(tx.registry.project_id("fraud") or 0, hashlib.md5(MODEL).hexdigest())
    assert found is not None and found.sha256 == sha

    # A viewer clones elsewhere and pulls, with Bearer through ``auth custom``.
    other = _clone(run, dvc_repo, tmp_path / "clone")
    add_remote(run, other, remote, users["vi"], bearer=True)
    run(other, "dvc", "pull")
    assert (other / "models" / "fraud_model_v1.pkl").read_bytes() == MODEL
    assert (other / "data" / "raw" / "part-3.csv").read_text() == "id,amount\n3,30\n"
    assert "in sync" in run(other, "dvc", "status", "-c").stdout

    # dvc fetch fills an empty cache; dvc gc -c cannot list an HTTP remote and stops
    # before deleting anything.
    fetched = _clone(run, dvc_repo, tmp_path / "fetched")
    add_remote(run, fetched, remote, users["ed"], user="ed")
    run(fetched, "dvc", "fetch")
    gc = run(dvc_repo, "dvc", "gc", "-c", "-w", "-f", check=False)
    assert gc.returncode != 0
    assert "in sync" in run(dvc_repo, "dvc", "status", "-c").stdout

    # dvc.api.open through the remote, from a fresh clone with an empty cache.
    fresh = _clone(run, dvc_repo, tmp_path / "fresh")
    add_remote(run, fresh, remote, users["vi"], user="vi")
    script = ("import dvc.api,sys\n"
              "with dvc.api.open('models/fraud_model_v1.pkl', remote='yard', mode='rb') as f:\n"
              "    sys.stdout.write(str(len(f.read())))\n")
    assert run(fresh, "python", "-c", script).stdout.strip() == str(len(MODEL))

    # A viewer cannot push; nobody sees the project; anonymous gets 401.
    (other / "models" / "fraud_model_v1.pkl").write_bytes(b"changed by a viewer")
    run(other, "dvc", "add", "models/fraud_model_v1.pkl")
    refused = run(other, "dvc", "push", check=False)
    assert refused.returncode != 0
    md5 = hashlib.md5(b"changed by a viewer").hexdigest()
    url = f"{remote}/files/md5/{md5[:2]}/{md5[2:]}"
    with httpx.Client() as h:
        assert h.get(url, headers={"Authorization": f"Bearer {users['vi']}"}).status_code == 404
        obj = hashlib.md5(MODEL).hexdigest()
        obj_url = f"{remote}/files/md5/{obj[:2]}/{obj[2:]}"
        assert h.get(obj_url).status_code == 401
        assert h.head(obj_url, headers={"Authorization": f"Bearer {users['vi']}"}
                      ).headers["content-length"] == str(len(MODEL))
        assert h.get(obj_url, headers={"Authorization": f"Bearer {users['nobody']}"}
                     ).status_code == 404
        assert h.get(obj_url, auth=("nobody", users["nobody"])).status_code == 404
        # The pushed blob is readable by sha256 through the project's object index too.
        assert h.get(f"{server_url}/api/v1/blobs/sha256/{sha}",
                     headers={"Authorization": f"Bearer {users['vi']}"}).status_code == 200
        assert h.get(f"{server_url}/api/v1/blobs/sha256/{sha}",
                     headers={"Authorization": f"Bearer {users['nobody']}"}).status_code == 404


def test_corrupted_upload_is_refused_and_nothing_becomes_visible(
        server_url: str, users: dict[str, str], services: Services) -> None:
    md5 = hashlib.md5(b"the real bytes").hexdigest()
    url = f"{server_url}/dvc/fraud/files/md5/{md5[:2]}/{md5[2:]}"
    auth = {"Authorization": f"Bearer {users['ed']}",
            "Content-Type": "application/octet-stream"}
    with httpx.Client() as h:
        bad = h.post(url, content=b"other bytes", headers=auth)
        assert bad.status_code == 400 and bad.json()["error_code"] == "BAD_DIGEST"
        assert h.get(url, headers=auth).status_code == 404
        assert not services.blobs.has(hashlib.sha256(b"other bytes").hexdigest())
        # A .dir manifest is checked against the id without its suffix.
        listing = json.dumps([{"md5": md5, "relpath": "a"}]).encode()
        dmd5 = hashlib.md5(listing).hexdigest()
        durl = f"{server_url}/dvc/fraud/files/md5/{dmd5[:2]}/{dmd5[2:]}.dir"
        assert h.put(durl, content=b"[]", headers=auth).status_code == 400
        assert h.put(durl, content=listing, headers=auth).status_code == 200
        assert h.get(durl, headers=auth).content == listing
        # A simple (form) POST is refused before the route, as for every POST.
        assert h.post(url, content=b"the real bytes",
                      headers={"Authorization": auth["Authorization"],
                               "Content-Type": "text/plain"}).status_code == 400
        good = h.post(url, content=b"the real bytes", headers=auth)
        assert good.status_code == 200
        assert good.json()["sha256"] == hashlib.sha256(b"the real bytes").hexdigest()
        # A viewer's push is refused (403), an unknown project is 404, a bad id 400.
        vi = {**auth, "Authorization": f"Bearer {users['vi']}"}
        assert h.post(url, content=b"the real bytes", headers=vi).status_code == 403
        assert h.post(url.replace("/fraud/", "/nope/"), content=b"x",
                      headers=auth).status_code == 404
        assert h.post(f"{server_url}/dvc/fraud/files/md5/zz/..%2f..", content=b"x",
                      headers=auth).status_code in (400, 404)


def test_bytes_another_project_holds_are_stored_once(
        server_url: str, users: dict[str, str], services: Services, admin_token: str) -> None:
    data = b"shared weights" * 100
    md5 = hashlib.md5(data).hexdigest()
    with HttpClient(server_url, token=admin_token) as root:
        root.create_project("other")
    headers = {"Authorization": f"Bearer {admin_token}",
               "Content-Type": "application/octet-stream"}
    with httpx.Client() as h:
        for project in ("fraud", "other"):
            assert h.post(f"{server_url}/dvc/{project}/files/md5/{md5[:2]}/{md5[2:]}",
                          content=data, headers=headers).status_code == 200
        # ed is editor of fraud only: other's object is invisible to him.
        assert h.get(f"{server_url}/dvc/other/files/md5/{md5[:2]}/{md5[2:]}",
                     headers={"Authorization": f"Bearer {users['ed']}"}).status_code == 404
    stored = [d for d, _ in services.blobs.iter_blobs()]
    assert stored.count(hashlib.sha256(data).hexdigest()) == 1


def test_gc_keeps_pushed_objects(server_url: str, users: dict[str, str],
                                 services: Services, admin_token: str) -> None:
    data = b"kept by the index"
    md5 = hashlib.md5(data).hexdigest()
    with httpx.Client() as h:
        assert h.post(f"{server_url}/dvc/fraud/files/md5/{md5[:2]}/{md5[2:]}", content=data,
                      headers={"Authorization": f"Bearer {users['ed']}",
                               "Content-Type": "application/octet-stream"}).status_code == 200
    with services.store.read() as tx:
        assert hashlib.sha256(data).hexdigest() in tx.referenced_digests()


def test_open_server_default_project_is_created_on_first_push(
        server_url: str, services: Services) -> None:
    data = b"first object"
    md5 = hashlib.md5(data).hexdigest()
    url = f"{server_url}/dvc/default/files/md5/{md5[:2]}/{md5[2:]}"
    with httpx.Client() as h:
        assert h.get(url).status_code == 404
        assert h.post(url, content=data,
                      headers={"Content-Type": "application/octet-stream"}).status_code == 200
        assert h.get(url).content == data
        assert h.head(url).headers["content-length"] == str(len(data))
    with services.store.read() as tx:
        assert tx.registry.project_id("default") is not None
