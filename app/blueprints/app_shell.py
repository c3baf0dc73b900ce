"""The installable web app around the citizen's pages: manifest, service worker, offline page.

The service worker must be served from the root to look after every page
(`Service-Worker-Allowed: /`) and is never cached by the browser, so a new
version of the portal reaches phones at their next visit. Its `version` is a
hash of the files it keeps: any change to them makes a new worker, which drops
the old copies. What it does is described in docs/offline.md.
"""
from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, url_for
from flask_babel import gettext as _

from .. import i18n
from .vendor import vendor_file_url

bp = Blueprint("app_shell", __name__)

# Static files every citizen page may need without signal (the lodge page above all).
STATIC_FILES = (
    "portal.css", "focus-error-summary.js", "pwa/pwa.js", "pwa/outbox.js", "pwa/outbox-view.js",
    "citizen/lodge-offline.js", "citizen/lodge-map.js", "citizen/photo-position.js",
    "map/common.js", "map/maps.js", "map/map.css", "pwa/icons/icon-192.png",
)
VENDOR_FILES = (
    ("leaflet", "dist/leaflet.js"), ("leaflet", "dist/leaflet.css"), ("leaflet", "dist/images/marker-icon.png"),
    ("leaflet", "dist/images/marker-icon-2x.png"), ("leaflet", "dist/images/marker-shadow.png"),
)
THEME_COLOUR = "#0b6b3a"


@bp.get("/manifest.webmanifest")
def manifest():
    language = i18n.current_language()
    body = {
        "name": " · ".join((_("Citizen's Portal"), _("Khyber Pakhtunkhwa"))),
        "short_name": _("Citizen's Portal"),
        "description": _("Lodge a complaint to the Government of Khyber Pakhtunkhwa and follow it."),
        "lang": language.code,
        "dir": language.direction,
        "start_url": url_for("public.index"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": url_for("static", filename="pwa/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": url_for("static", filename="pwa/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": url_for("static", filename="pwa/icons/maskable-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
        ],
    }
    response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response


@bp.get("/service-worker.js")
def service_worker():
    keep = [url_for("static", filename=name) for name in STATIC_FILES]
    keep += [vendor_file_url(package, name) for package, name in VENDOR_FILES]
    script = render_template(
        "app_shell/service-worker.js",
        settings={
            "version": _version(Path(current_app.static_folder), tuple(keep)),
            "keep": keep,
            "offline": url_for("app_shell.offline"),
            "lodge": url_for("citizen.new_complaint"),
            "outbox": url_for("static", filename="pwa/outbox.js"),
        },
    )
    response = Response(script, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/offline")
def offline():
    """What a phone without signal shows for a page it has not kept."""
    return render_template("app_shell/offline.html")


@functools.cache
def _version(static: Path, keep: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    template = Path(current_app.root_path) / "templates" / "app_shell" / "service-worker.js"
    for path in [template, *sorted((static / name) for name in STATIC_FILES)]:
        digest.update(path.read_bytes())
    digest.update(repr(keep).encode())  # the vendor files' addresses carry their versions
    return digest.hexdigest()[:12]
