"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) served from this server alone.

FastAPI's own pages load unpinned script from a CDN, on the same origin as the web session
cookie. Here the scripts and styles come from the ``fastapi-offline`` package, which vendors
Swagger UI and ReDoc (pinned with it in pyproject.toml), and the pages start them from a file
rather than inline script, so their policy allows script from this site only, and nothing from
any other host (checked in Chromium: Swagger UI, "Try it out" included, needs nothing more;
ReDoc needs inline styles and a blob: worker, see REDOC_POLICY).
``settings.api_docs = False`` serves neither page (``/openapi.json`` stays).
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.exceptions import HTTPException

_STRICT = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
]
SWAGGER_POLICY = "; ".join(_STRICT)
# ReDoc renders nothing unless it may add <style> elements (styled-components), and its search
# runs in a worker made from a blob: URL. Inline style cannot run script, and only script this
# server sent (script-src 'self') can make a worker.
REDOC_POLICY = "; ".join(
    [d if not d.startswith("style-src") else "style-src 'self' 'unsafe-inline'" for d in _STRICT]
    + ["worker-src blob:"]
)
_OTHER_HEADERS = {
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}
ASSETS_PATH = "/docs/assets"
_VENDORED = files("fastapi_offline") / "static"
_OURS = files("casework.api") / "docs_assets"
ASSETS: dict[str, Traversable] = {
    "swagger-ui-bundle.js": _VENDORED / "swagger-ui-bundle.js",
    "swagger-ui.css": _VENDORED / "swagger-ui.css",
    "redoc.standalone.js": _VENDORED / "redoc.standalone.js",
    "swagger-init.js": _OURS / "swagger-init.js",
}
_MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css"}


def mount_docs(app: FastAPI, openapi_url: str = "/openapi.json") -> None:
    """Add ``/docs``, ``/redoc`` and their assets to ``app`` (made with docs_url=None)."""
    swagger = _page(
        "Casework API: Swagger UI",
        f'<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">',
        f'<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>\n'
        f'<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>\n'
        f'<script src="{ASSETS_PATH}/swagger-init.js"></script>',
    )
    redoc = _page(
        "Casework API: ReDoc",
        "",
        # ReDoc starts itself on its <redoc> element: no script of ours is needed.
        f'<redoc spec-url="{openapi_url}"></redoc>\n'
        f'<script src="{ASSETS_PATH}/redoc.standalone.js"></script>',
    )

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> Response:
        return HTMLResponse(swagger, headers={"content-security-policy": SWAGGER_POLICY, **_OTHER_HEADERS})

    @app.get("/redoc", include_in_schema=False)
    def redoc_page() -> Response:
        return HTMLResponse(redoc, headers={"content-security-policy": REDOC_POLICY, **_OTHER_HEADERS})

    @app.get(ASSETS_PATH + "/{name}", include_in_schema=False)
    def asset(name: str) -> Response:
        found = ASSETS.get(name)  # a fixed list: no path from the request reaches the disk
        if found is None:
            raise HTTPException(404, f"There is no documentation asset {name!r}.")
        # Cached for an hour: 2.8 MB of script, the same until Casework or fastapi-offline changes.
        return FileResponse(
            str(found), media_type=_MEDIA_TYPES[name[name.rindex("."):]],
            headers={"cache-control": "public, max-age=3600"},
        )


def _page(title: str, head: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n{head}\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
