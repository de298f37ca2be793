"""`modelyard login URL`: check a token against a registry and keep it for that URL in
the user's config file (mode 0600).  ``MODELYARD_TOKEN`` still wins over it."""

from __future__ import annotations

import sys

import click

from modelyard.errors import InvalidParameter


@click.command()
@click.argument("url")
@click.option("--token-stdin", is_flag=True, help="Read the token from stdin.")
def login(url: str, token_stdin: bool) -> None:
    """Store a token for URL (read from stdin, or prompted for without echo)."""
    from modelyard.client.credentials import save_token
    from modelyard.client.http import HttpClient

    if not url.startswith(("http://", "https://")):
        raise InvalidParameter("login takes the registry's http(s) URL")
    token = (sys.stdin.readline() if token_stdin
             else click.prompt("token", hide_input=True)).strip()
    with HttpClient(url, token=token) as c:
        me = c.whoami()
    path = save_token(url, token)
    click.echo(f"logged in to {url.rstrip('/')} as {me['name']} (token saved in {path})")
