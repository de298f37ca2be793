"""`modelyard versions ...` and `modelyard alias ...`"""

from __future__ import annotations

from pathlib import Path

import click

from modelyard.cli.context import client, parse_numbers
from modelyard.cli.context import run_id as full_run_id
from modelyard.cli.models import parse_tags
from modelyard.cli.output import (
    as_json,
    emit_json,
    files_count,
    human_size,
    next_page,
    record,
    show,
    table,
    when,
)
from modelyard.cli.progress import hash_then_upload, transfer
from modelyard.domain.entities import ModelVersion, Page
from modelyard.domain.refs import parse_ref
from modelyard.domain.search import quote
from modelyard.errors import ApprovalRequired, InvalidParameter


@click.group()
def versions() -> None:
    """Model versions."""


@versions.command("register")
@click.argument("name")
@click.argument("path", type=click.Path(exists=True))
@click.option("-d", "--description", default="", help="Free text.")
@click.option("-t", "--tag", "tags", multiple=True, metavar="KEY=VALUE",
              help="A tag; repeatable.")
@click.option("--metric", "metrics", multiple=True, metavar="KEY=NUMBER",
              help="A metric of this version, e.g. auc=0.93; repeatable.")
@click.option("--run-id", default=None, help="The run that produced it (lineage).")
@click.option("--flavor", default="", help="How to load it, e.g. sklearn, onnx, pytorch.")
@click.option("--parent", "parents", multiple=True, metavar="MODEL/VERSION",
              help="A version this one derives from; repeatable.")
@click.option("--no-create", is_flag=True, help="Fail if the model does not exist yet.")
@click.option("--allow-empty", is_flag=True,
              help="Register a folder that holds no files (refused otherwise).")
@click.option("--part-size", type=click.IntRange(5, 64), default=None, metavar="MIB",
              help="Part size of multipart uploads, 5-64 MiB (default 16).")
@click.option("--parallel", type=click.IntRange(1, 32), default=None,
              help="Parts (or small files) sent at once, 1-32 (default 8).")
@click.pass_context
def register(ctx: click.Context, name: str, path: str, description: str, tags: tuple[str, ...],
             metrics: tuple[str, ...], run_id: str | None, flavor: str,
             parents: tuple[str, ...], no_create: bool, allow_empty: bool,
             part_size: int | None, parallel: int | None) -> None:
    """Register a file or folder as the next version of NAME; prints its number.  Files
    of 64 MiB and more go in parts; run again after an interrupt, only the missing
    parts are sent."""
    configure_uploads(client(ctx), part_size, parallel)
    metric_values = parse_numbers(metrics)
    tag_values = parse_tags(tags)  # usage errors before anything is opened or created
    run_id = run_id and full_run_id(client(ctx), run_id)
    from modelyard.client.hashing import total_size

    with hash_then_upload(ctx, total_size(path)) as (hashed, sent):
        v = client(ctx).register(name, path, description=description, tags=tag_values,
                                 run_id=run_id, flavor=flavor, metrics=metric_values,
                                 parents=list(parents), create_model=not no_create,
                                 progress=sent, hash_progress=hashed,
                                 allow_empty=allow_empty,
                                 on_model_created=lambda n: click.echo(
                                     f"created model {n!r} (--no-create refuses a new name)",
                                     err=True))
    show(ctx, v.to_dict(), lambda: click.echo(v.version))


def configure_uploads(c: object, part_size_mib: int | None, parallel: int | None) -> None:
    """Apply ``--part-size`` and ``--parallel`` to a REST client (the in-process one
    writes files straight into the store)."""
    from modelyard.client.uploads import UploadOptions

    current = getattr(c, "upload_options", None)
    if isinstance(current, UploadOptions):
        if part_size_mib:
            current.part_size = part_size_mib << 20
        if parallel:
            current.workers = parallel


@versions.command("list")
@click.argument("name")
@click.option("-n", "--max-results", default=100, show_default=True,
              help="Most items on one page.")
@click.option("--page-token", default=None,
              help="Continue where a previous page ended.")
@click.option("--deleted", is_flag=True, help="List soft-deleted versions.")
@click.pass_context
def list_(ctx: click.Context, name: str, max_results: int, page_token: str | None,
          deleted: bool) -> None:
    """List the versions of NAME, newest first."""
    registry = client(ctx)
    page = registry.search_versions(f"name = {quote(name)}", ["version DESC"], max_results,
                                    page_token, deleted)
    if not page.items and page_token is None and not deleted:
        registry.get_model(name)  # no versions, or no such model: say which
    _print_versions(ctx, page)


@versions.command("search")
@click.argument("filter_", metavar="FILTER", required=False)
@click.option("-o", "--order-by", multiple=True, metavar="KEY [ASC|DESC]",
              help="Sort key, e.g. 'created_at DESC'; repeatable.")
@click.option("-n", "--max-results", default=100, show_default=True,
              help="Most items on one page.")
@click.option("--page-token", default=None,
              help="Continue where a previous page ended.")
@click.pass_context
def search(ctx: click.Context, filter_: str | None, order_by: tuple[str, ...], max_results: int,
           page_token: str | None) -> None:
    """Search versions of all models, e.g. "tags.team = 'risk' AND version_number > 3"."""
    page = client(ctx).search_versions(filter_, list(order_by), max_results, page_token)
    _print_versions(ctx, page)


def _print_versions(ctx: click.Context, page: Page[ModelVersion]) -> None:
    items = page.items
    token = page.next_page_token
    if as_json(ctx):
        emit_json({"versions": [v.to_dict() for v in items], "next_page_token": token})
        return
    table(["MODEL", "VERSION", "STAGE", "ALIASES", "SIZE", "TAGS", "CREATED"],
          [(v.model, v.version, v.stage, " ".join("@" + a for a in v.aliases),
            human_size(v.size), " ".join(f"{k}={x}" for k, x in v.tags.items()),
            when(v.created_at)) for v in items])
    if token:
        next_page(token)


@versions.command("show")
@click.argument("ref", metavar="MODEL/VERSION|MODEL@ALIAS")
@click.pass_context
def show_(ctx: click.Context, ref: str) -> None:
    """Show a version and its manifest."""
    v = client(ctx).resolve(ref, files=True)

    def human() -> None:
        d = v.to_dict()
        d.pop("files")
        record(d)
        click.echo("files:")
        table(["PATH", "SIZE", "SHA256"], [(f.path, f.size, f.sha256) for f in v.files or []])

    show(ctx, v.to_dict(), human)


@versions.command("files")
@click.argument("ref", metavar="MODEL/VERSION|MODEL@ALIAS")
@click.pass_context
def files(ctx: click.Context, ref: str) -> None:
    """The manifest of a version: every file with its size and sha256."""
    v = client(ctx).resolve(ref, files=True)
    entries = [f.to_dict() for f in v.files or []]
    show(ctx, {"files": entries}, lambda: table(
        ["PATH", "SIZE", "SHA256"], [(f["path"], f["size"], f["sha256"]) for f in entries]))


@versions.command("cat")
@click.argument("ref", metavar="MODEL/VERSION|MODEL@ALIAS")
@click.argument("path")
@click.pass_context
def cat(ctx: click.Context, ref: str, path: str) -> None:
    """Write one file of a version to standard output."""
    out = click.get_binary_stream("stdout")
    for chunk in client(ctx).iter_file(ref, path):
        out.write(chunk)


@versions.command("download")
@click.argument("ref", metavar="MODEL/VERSION|MODEL@ALIAS")
@click.argument("dest", type=click.Path())
@click.pass_context
def download(ctx: click.Context, ref: str, dest: str) -> None:
    """Download every file of a version into DEST (verified against its sha256)."""
    c = client(ctx)
    v = c.resolve(ref, files=True)
    with transfer(ctx, v.size, "download") as progress:
        c.download(f"{v.model}/{v.version}", dest, progress=progress)
    show(ctx, {"model": v.model, "version": v.version, "dest": str(Path(dest)),
               "files": v.file_count},
         lambda: click.echo(f"downloaded {v.model}/{v.version} ({files_count(v.file_count)}) to {dest}"))


def _split(ref: str) -> tuple[str, str]:
    r = parse_ref(ref)
    spec = "@" + r.alias if r.alias else str(r.version if r.version is not None else r.selector)
    return r.model, spec


@versions.command("describe")
@click.argument("ref", metavar="MODEL/VERSION")
@click.argument("description")
@click.pass_context
def describe(ctx: click.Context, ref: str, description: str) -> None:
    """Set the description of a version."""
    v = client(ctx).update_version(*_split(ref), description)
    show(ctx, v.to_dict(), lambda: click.echo(f"updated {v.model}/{v.version}"))


@versions.command("tag")
@click.argument("ref", metavar="MODEL/VERSION")
@click.argument("pairs", nargs=-1, required=True, metavar="KEY=VALUE...")
@click.pass_context
def tag(ctx: click.Context, ref: str, pairs: tuple[str, ...]) -> None:
    """Set tags on a version."""
    name, spec = _split(ref)
    for k, val in parse_tags(pairs, "each tag").items():
        client(ctx).set_version_tag(name, spec, k, val)
    show(ctx, {"version": ref, "tags": parse_tags(pairs, "each tag")}, lambda: click.echo(f"tagged {ref}"))


@versions.command("untag")
@click.argument("ref", metavar="MODEL/VERSION")
@click.argument("keys", nargs=-1, required=True)
@click.pass_context
def untag(ctx: click.Context, ref: str, keys: tuple[str, ...]) -> None:
    """Remove tags from a version."""
    name, spec = _split(ref)
    for k in keys:
        client(ctx).delete_version_tag(name, spec, k)
    show(ctx, {"version": ref, "removed": list(keys)}, lambda: click.echo(f"untagged {ref}"))


@versions.command("stage")
@click.argument("ref", metavar="MODEL/VERSION")
@click.argument("stage")
@click.option("--archive-existing", is_flag=True,
              help="Move the versions that held STAGE to Archived.")
@click.pass_context
def stage(ctx: click.Context, ref: str, stage: str, archive_existing: bool) -> None:
    """Move a version to a stage (None, Staging, Production, Archived by default; the
    project's policy may name others).  A transition that needs approvals opens a
    request instead and says so."""
    try:
        v = client(ctx).transition_stage(*_split(ref), stage, archive_existing=archive_existing)
    except ApprovalRequired as opened:
        message = opened.message
        show(ctx, {"request_id": opened.request_id, "message": message},
             lambda: click.echo(message))
        return
    show(ctx, v.to_dict(), lambda: click.echo(f"{v.model}/{v.version} is now in {v.stage}"))


@versions.command("delete")
@click.argument("ref", metavar="MODEL/VERSION")
@click.pass_context
def delete(ctx: click.Context, ref: str) -> None:
    """Soft-delete a version (restorable; its aliases are removed)."""
    client(ctx).delete_version(*_split(ref))
    show(ctx, {"deleted": ref}, lambda: click.echo(f"deleted {ref} (restorable)"))


@versions.command("restore")
@click.argument("ref", metavar="MODEL/VERSION")
@click.pass_context
def restore(ctx: click.Context, ref: str) -> None:
    """Restore a soft-deleted version."""
    r = parse_ref(ref)
    if r.version is None:
        raise InvalidParameter(f"restore needs MODEL/VERSION (a number), not {ref!r}")
    v = client(ctx).restore_version(r.model, r.version)
    show(ctx, v.to_dict(), lambda: click.echo(f"restored {v.model}/{v.version}"))


@click.group()
def alias() -> None:
    """Aliases: named pointers such as fraud@production."""


@alias.command("set")
@click.argument("name")
@click.argument("alias_name", metavar="ALIAS")
@click.argument("version", type=int)
@click.pass_context
def alias_set(ctx: click.Context, name: str, alias_name: str, version: int) -> None:
    """Point NAME@ALIAS at VERSION (one atomic move)."""
    v = client(ctx).set_alias(name, alias_name, version)
    show(ctx, v.to_dict(), lambda: click.echo(f"{name}@{alias_name} -> {v.version}"))


@alias.command("delete")
@click.argument("name")
@click.argument("alias_name", metavar="ALIAS")
@click.pass_context
def alias_delete(ctx: click.Context, name: str, alias_name: str) -> None:
    """Remove an alias."""
    client(ctx).delete_alias(name, alias_name)
    show(ctx, {"deleted": f"{name}@{alias_name}"},
         lambda: click.echo(f"deleted alias {name}@{alias_name}"))


@alias.command("show")
@click.argument("ref", metavar="NAME@ALIAS")
@click.pass_context
def alias_show(ctx: click.Context, ref: str) -> None:
    """Which version an alias points at."""
    v = client(ctx).resolve(ref, files=False)
    def human() -> None:
        d = v.to_dict()
        d.pop("files", None)
        record({"alias": ref, **d})

    show(ctx, v.to_dict(), human)
