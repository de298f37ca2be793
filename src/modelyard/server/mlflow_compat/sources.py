"""MLflow's artifact paths, parsed to the stored files they name.

Artifact paths (``mlflow-artifacts:/<path>``, assigned by this server, never read
from a client-named location):

- ``<experiment_id>/<run_id>/artifacts/<file>``: a run's artifacts;
- ``<experiment_id>/models/<model_id>/artifacts/<file>``: a logged model's files;
- ``model-versions/<name>/<version>/<file>``: a registered version's manifest
  (what ``get-download-uri`` hands out; read-only).

Resolving them, and registering a version from a source (``models:/m-<id>``,
``runs:/<run_id>/<path>``, ``models:/<name>/<version>`` or one of the paths above), is
the domain's ``SourceService``; this module only parses MLflow's path syntax.
"""

from __future__ import annotations

from urllib.parse import unquote, urlparse

from modelyard.domain.sources import ArtifactSource
from modelyard.domain.validation import check_int, check_relpath, is_ascii_int
from modelyard.errors import InvalidParameter, NotFound
from modelyard.server.mlflow_compat.translate import VERSIONS_PREFIX


def parse_artifact_path(raw: str, *, quoted: bool = False) -> ArtifactSource | None:
    """The target an artifact path names, or None when it names none (a listing of
    something above a run or model root, which is empty).  ``quoted``: the path as
    ``get-download-uri`` wrote it (a listing's query, a source), whose model name is
    percent-encoded; a file's URL path arrives decoded once already."""
    parts = [p for p in (raw or "").split("/") if p]
    target: ArtifactSource | None = None
    if len(parts) >= 3 and parts[0] == VERSIONS_PREFIX:
        if not is_ascii_int(parts[2]):
            raise NotFound(f"no artifact {raw!r}")
        target = ArtifactSource("version", unquote(parts[1]) if quoted else parts[1],
                                "/".join(parts[3:]),
                                check_int(parts[2], "version"))
    elif len(parts) >= 4 and is_ascii_int(parts[0]) and parts[1] == "models" and parts[3] == "artifacts":
        target = ArtifactSource("logged_model", parts[2], "/".join(parts[4:]),
                                experiment_id=parts[0])
    elif len(parts) >= 3 and is_ascii_int(parts[0]) and parts[2] == "artifacts":
        target = ArtifactSource("run", parts[1], "/".join(parts[3:]), experiment_id=parts[0])
    if target is not None and target.path:
        check_relpath(target.path)
    return target


def source_origin(source: str) -> ArtifactSource | None:
    """What an ``mlflow-artifacts:`` source names (None for any other source, which
    the domain resolves itself)."""
    if not source.startswith("mlflow-artifacts:"):
        return None
    target = parse_artifact_path(urlparse(source).path, quoted=True)
    if target is None:
        raise InvalidParameter(f"source {source!r} names no run, logged model or version")
    return target
