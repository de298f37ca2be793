"""The API docs page, ``/api/v1/docs``: Swagger UI served from the installed
``swagger-ui-bundle`` package, so the page works offline and no request leaves the
machine.  The page carries a Content-Security-Policy that allows scripts, styles and
requests of this origin only, and may not be framed."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

DOCS = "/api/v1/docs"
ASSETS = DOCS + "/assets"

POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
          "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
          "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} API</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{docs}/init.js"></script>
</body>
</html>
"""

_INIT = """window.ui = SwaggerUIBundle({{
  url: {openapi!r},
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
}});
"""


def _assets_folder() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


def install(app: FastAPI, openapi_url: str) -> None:
    headers = {"Content-Security-Policy": POLICY, "X-Frame-Options": "DENY"}
    page = _PAGE.format(title=app.title, assets=ASSETS, docs=DOCS)
    init = _INIT.format(openapi=openapi_url)

    @app.get(DOCS, include_in_schema=False)
    def docs_page() -> HTMLResponse:
        return HTMLResponse(page, headers=headers)

    @app.get(DOCS + "/init.js", include_in_schema=False)
    def docs_init() -> Response:
        return Response(init, media_type="text/javascript", headers=headers)

    app.mount(ASSETS, StaticFiles(directory=_assets_folder()), name="docs-assets")
