"""Front-end files from the npm registry, served by the portal itself (never from a CDN).

`make` installs them with `npm ci` (pinned by package-lock.json) into
node_modules; this blueprint serves an allow-list of their files, cached for a
year under a URL that carries the installed version. The Urdu and Pashto web
fonts come from here, so a phone without the fonts still reads those pages, and
so do Leaflet and its marker clusters for the maps.
bpmn-js is served by the analyst workbench (`analyst/assets.py`).
"""
from __future__ import annotations

import functools
import json
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, send_file, url_for

bp = Blueprint("vendor", __name__)
YEAR = 365 * 24 * 3600

# npm package -> {file under the package: content type}
FILES = {
    "@fontsource/noto-nastaliq-urdu": {
        "files/noto-nastaliq-urdu-arabic-400-normal.woff2": "font/woff2",
        "files/noto-nastaliq-urdu-arabic-700-normal.woff2": "font/woff2",
        "LICENSE": "text/plain; charset=utf-8",
    },
    "@fontsource/noto-naskh-arabic": {
        "files/noto-naskh-arabic-arabic-400-normal.woff2": "font/woff2",
        "files/noto-naskh-arabic-arabic-700-normal.woff2": "font/woff2",
        "LICENSE": "text/plain; charset=utf-8",
    },
    # The maps (templates/_map_assets.html). leaflet.css finds its images relative to itself.
    "leaflet": {
        "dist/leaflet.js": "text/javascript; charset=utf-8",
        "dist/leaflet.css": "text/css; charset=utf-8",
        "dist/images/marker-icon.png": "image/png",
        "dist/images/marker-icon-2x.png": "image/png",
        "dist/images/marker-shadow.png": "image/png",
        "dist/images/layers.png": "image/png",
        "dist/images/layers-2x.png": "image/png",
        "LICENSE": "text/plain; charset=utf-8",
    },
    "leaflet.markercluster": {
        "dist/leaflet.markercluster.js": "text/javascript; charset=utf-8",
        "dist/MarkerCluster.css": "text/css; charset=utf-8",
        "dist/MarkerCluster.Default.css": "text/css; charset=utf-8",
        "MIT-LICENCE.txt": "text/plain; charset=utf-8",
    },
}


def node_modules() -> Path:
    return Path(current_app.root_path).parent / "node_modules"


@functools.cache
def _version(package_json: Path) -> str | None:
    try:
        return json.loads(package_json.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


@bp.app_template_global()
def vendor_file_url(package: str, name: str) -> str:
    return url_for("vendor.file", package=package, name=name, v=_version(node_modules() / package / "package.json"))


@bp.get("/vendor/<path:package>/-/<path:name>")
def file(package: str, name: str):
    content_type = FILES.get(package, {}).get(name)
    path = node_modules() / package / name
    if content_type is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype=content_type, max_age=YEAR, conditional=True)
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response


@bp.get("/fonts.css")
def fonts_css():
    """@font-face rules for Urdu (Nastaliq) and Pashto (Naskh), pointing at the files above."""
    css = render_template("fonts.css", vendor_file_url=vendor_file_url)
    response = Response(css, mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
