"""Front-end files from the npm registry, served by the portal itself (never from a CDN).

`make` installs them with `npm ci` (pinned by package-lock.json) into
node_modules, and the build copies them into an installed package
(app/served_npm_files.py, the allow-list); this blueprint serves those files, cached for a
year under a URL that carries the installed version. The Urdu and Pashto web
fonts come from here, so a phone without the fonts still reads those pages, and
so do Leaflet and its marker clusters for the maps.
bpmn-js is served by the analyst workbench (`analyst/assets.py`).
"""
from __future__ import annotations

import functools
import json
from pathlib import Path

from flask import Blueprint, Response, abort, render_template, send_file, url_for

from .. import served_npm_files

bp = Blueprint("vendor", __name__)
YEAR = 365 * 24 * 3600

# npm package -> {file under the package: content type}; bpmn-js is the analyst workbench's.
FILES = {package: files for package, files in served_npm_files.FILES.items() if package != "bpmn-js"}


def node_modules() -> Path:
    """node_modules of a checkout, or the copy the build put into an installed package."""
    return served_npm_files.root()


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
