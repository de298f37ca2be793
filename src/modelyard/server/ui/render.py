"""Rendering pages: one Jinja2 environment (autoescape on for every template), the
sanitised Markdown filter, the small formatting filters, and the page response with
its strict headers.

Every value reaches HTML through autoescape, except Markdown, which is rendered by
markdown-it-py with raw HTML off and then cleaned by nh3 (an allow-list sanitizer), so
``|markdown`` is the only ``Markup`` a template prints.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import quote

import nh3
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from modelyard.domain.entities import ANONYMOUS, Principal
from modelyard.server.headers import PAGE_HEADERS
from modelyard.server.ui import csrf

HERE = Path(__file__).parent
_MD = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_ALLOWED_TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code",
                 "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr",
                 "th", "td", "del", "img"}


def markdown(text: str | None) -> Markup:
    """Markdown to HTML that cannot run anything: no raw HTML in, an allow-list out."""
    html = _MD.render(text or "")
    clean = nh3.clean(html, tags=_ALLOWED_TAGS, url_schemes={"http", "https", "mailto"},
                      link_rel="noopener noreferrer nofollow")
    return Markup(clean)


def when(ms: int | None) -> str:
    if not ms:
        return ""
    t = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    return t.strftime("%Y-%m-%d %H:%M:%S UTC")


def size(n: int | None) -> str:
    value = float(n or 0)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)


def seg(value: Any) -> str:
    """One URL path segment (a model name, a run id): everything but safe chars quoted."""
    return quote(str(value), safe="")


ENV = Environment(loader=FileSystemLoader(HERE / "templates"),
                  autoescape=select_autoescape(default=True, default_for_string=True),
                  trim_blocks=True, lstrip_blocks=True)
ENV.filters.update(markdown=markdown, when=when, size=size, num=num, seg=seg)


def principal(request: Request) -> Principal:
    found: Principal = getattr(request.state, "principal", ANONYMOUS)
    return found


def page(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    who = principal(request)
    token = csrf.token_for(request)
    body = ENV.get_template(template).render(
        request=request, who=who, csrf_token=token, path=request.url.path, **ctx)
    resp = HTMLResponse(body, status_code=status, headers=dict(PAGE_HEADERS))
    csrf.set_cookie(request, resp, token)
    return resp
