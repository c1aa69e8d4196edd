"""The installable app: web app manifest and service worker (served from / so that it controls every page)."""

from __future__ import annotations

import json

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from tocsin.web.render import STATIC, asset

router = APIRouter(include_in_schema=False)

# Cached by the service worker when it installs, so pages keep their look offline.
PRECACHE = ("app.css", "app.js", "htmx.min.js", "icons/icon.svg", "icons/icon-192.png", "icons/icon-512.png")

MANIFEST = {
    "name": "tocsin",
    "short_name": "tocsin",
    "description": "Alerts, escalation and on-call",
    "id": "/",
    "start_url": "/alerts",
    "scope": "/",
    "display": "standalone",
    "orientation": "portrait",
    "background_color": "#0d1117",
    "theme_color": "#0d1117",
    "categories": ["productivity", "utilities"],
}


@router.get("/manifest.webmanifest")
def manifest() -> Response:
    icons = [
        {"src": asset("icons/icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
        {"src": asset("icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
        {"src": asset("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
        {"src": asset("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
    ]
    shortcuts = [{"name": "Pending alerts", "url": "/alerts?show=pending"}]
    return JSONResponse({**MANIFEST, "icons": icons, "shortcuts": shortcuts},
                        media_type="application/manifest+json", headers={"Cache-Control": "no-cache"})


@router.get("/sw.js")
def service_worker() -> Response:
    assets = [asset(name) for name in PRECACHE]
    version = "-".join(a.rsplit("=", 1)[1][:4] for a in assets)
    script = (STATIC / "sw.js").read_text().replace("__ASSETS__", json.dumps(assets)).replace("__VERSION__", version)
    return Response(script, media_type="text/javascript",
                    headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/",
                             "X-Content-Type-Options": "nosniff"})
