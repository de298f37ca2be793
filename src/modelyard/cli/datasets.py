"""`modelyard datasets ...`: versioned, content-addressed files with a profile."""

from __future__ import annotations

import click

from modelyard.cli.context import client
from modelyard.cli.context import run_id as full_run_id
from modelyard.cli.output import files_count, human_size, record, show, table, when
from modelyard.cli.progress import hash_then_upload, transfer


@click.group()
def datasets() -> None:
    """Datasets: versioned, content-addressed files with a profile."""


@datasets.command("register")
@click.argument("path", type=click.Path(exists=True))
@click.option("--name", required=True, help="Dataset name.")
@click.option("-d", "--description", default="", help="What this version holds.")
@click.option("--run-id", default=None, help="Record that this run read the dataset.")
@click.option("--context", default="training", show_default=True,
              help="How --run-id used it: training, validation, test, ...")
@click.pass_context
def ds_register(ctx: click.Context, path: str, name: str, description: str,
                run_id: str | None, context: str) -> None:
    """Register a file or folder as a dataset version; prints NAME/VERSION."""
    from modelyard.client.hashing import total_size

    run_id = run_id and full_run_id(client(ctx), run_id)
    with hash_then_upload(ctx, total_size(path)) as (hashed, sent):
        dv = client(ctx).log_dataset(path, name, run_id=run_id, context=context,
                                     description=description, progress=sent,
                                     hash_progress=hashed)
    show(ctx, dv.to_dict(), lambda: click.echo(dv.ref))


@datasets.command("list")
@click.option("--name-like", default=None, metavar="PATTERN",
              help="Only names LIKE this, e.g. 'tx%'.")
@click.pass_context
def ds_list(ctx: click.Context, name_like: str | None) -> None:
    """List datasets (--name-like 'tx%')."""
    page = client(ctx).list_datasets(name_like)
    show(ctx, {"datasets": [d.to_dict() for d in page.items]}, lambda: table(
        ["NAME", "LATEST", "CREATED"],
        [(d.name, d.latest_version, when(d.created_at)) for d in page.items]))


@datasets.command("versions")
@click.argument("name")
@click.pass_context
def ds_versions(ctx: click.Context, name: str) -> None:
    """The versions of a dataset, newest first."""
    items = client(ctx).list_dataset_versions(name)
    show(ctx, {"dataset_versions": [v.to_dict() for v in items]}, lambda: table(
        ["VERSION", "DIGEST", "FILES", "SIZE", "ROWS", "CREATED"],
        [(v.version, v.digest, v.file_count, human_size(v.size),
          (v.profile or {}).get("rows", ""), when(v.created_at)) for v in items]))


@datasets.command("show")
@click.argument("ref", metavar="NAME[/VERSION]")
@click.pass_context
def ds_show(ctx: click.Context, ref: str) -> None:
    """A dataset version: manifest, digest and profile."""
    from modelyard.domain.datasets import parse_dataset_ref

    dv = client(ctx).get_dataset_version(*parse_dataset_ref(ref))
    def human() -> None:
        d = dv.to_dict()
        d.pop("files", None)
        record(d)
        click.echo("files:")
        table(["PATH", "SIZE", "SHA256"], [(f.path, f.size, f.sha256) for f in dv.files or []])

    show(ctx, dv.to_dict(), human)


@datasets.command("download")
@click.argument("ref", metavar="NAME/VERSION|NAME@latest")
@click.argument("dest", type=click.Path())
@click.pass_context
def ds_download(ctx: click.Context, ref: str, dest: str) -> None:
    """Download every file of a dataset version into DEST (verified against its sha256)."""
    c = client(ctx)
    dv = c.get_dataset_ref(ref, files=False)
    with transfer(ctx, dv.size, "download") as progress:
        c.download_dataset(dv.ref, dest, progress=progress)
    show(ctx, {"name": dv.name, "version": dv.version, "dest": dest, "files": dv.file_count,
               "size": dv.size},
         lambda: click.echo(f"downloaded {dv.ref} ({files_count(dv.file_count)}) to {dest}"))


@datasets.command("cat")
@click.argument("ref", metavar="NAME/VERSION|NAME@latest")
@click.argument("path")
@click.pass_context
def ds_cat(ctx: click.Context, ref: str, path: str) -> None:
    """Write one file of a dataset version to standard output (verified against its
    sha256: a mismatch ends with an error and exit status 1)."""
    out = click.get_binary_stream("stdout")
    for chunk in client(ctx).iter_dataset_file(ref, path):
        out.write(chunk)
