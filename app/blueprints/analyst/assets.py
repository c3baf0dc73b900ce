"""bpmn-js's and dmn-js's prebuilt files, served from node_modules (installed by `make`; an installed package carries a copy).

Only the files on the allow-list can be fetched, by their exact path, so no
request can reach anything else under node_modules. They are public (a
citizen's "where is my complaint" view draws its diagram with them) and carry
the installed version in their URL, so browsers may cache them for a year.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path

from flask import abort, send_file, url_for

from ... import served_npm_files
from .blueprint import bp
from .texts import workbench_texts

# path under node_modules/bpmn-js/dist -> content type (the allow-list: app/served_npm_files.py)
VENDOR_FILES = {name.removeprefix("dist/"): kind for name, kind in served_npm_files.FILES["bpmn-js"].items()
                if name.startswith("dist/")}
# The same for dmn-js, the decision table editor (static/analyst/decisions.js).
DMN_VENDOR_FILES = {name.removeprefix("dist/"): kind for name, kind in served_npm_files.FILES["dmn-js"].items()
                    if name.startswith("dist/")}
YEAR = 365 * 24 * 3600


def bpmn_js_dir() -> Path:
    return served_npm_files.root() / "bpmn-js"


@functools.cache
def _installed_version(package_json: Path) -> str | None:
    try:
        return json.loads(package_json.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def bpmn_js_version() -> str | None:
    """The installed bpmn-js version, or None when `npm ci` has not run."""
    return _installed_version(bpmn_js_dir() / "package.json")


def vendor_url(name: str) -> str:
    return url_for("analyst.vendor", name=name, v=bpmn_js_version())


def dmn_js_dir() -> Path:
    return served_npm_files.root() / "dmn-js"


def dmn_js_version() -> str | None:
    """The installed dmn-js version, or None when `npm ci` has not run."""
    return _installed_version(dmn_js_dir() / "package.json")


def dmn_vendor_url(name: str) -> str:
    return url_for("analyst.dmn_vendor", name=name, v=dmn_js_version())


@bp.app_context_processor
def _vendor_helpers():
    return {"vendor_url": vendor_url, "bpmn_js_version": bpmn_js_version, "workbench_texts": workbench_texts,
            "dmn_vendor_url": dmn_vendor_url, "dmn_js_version": dmn_js_version}


@bp.get("/vendor/bpmn-js/<path:name>")
def vendor(name: str):
    content_type = VENDOR_FILES.get(name)
    path = bpmn_js_dir() / "dist" / name
    if content_type is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype=content_type, max_age=YEAR, conditional=True)
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response


@bp.get("/vendor/dmn-js/<path:name>")
def dmn_vendor(name: str):
    content_type = DMN_VENDOR_FILES.get(name)
    path = dmn_js_dir() / "dist" / name
    if content_type is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype=content_type, max_age=YEAR, conditional=True)
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response
