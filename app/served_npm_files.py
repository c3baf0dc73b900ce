"""The front-end files from the npm registry that the portal serves itself (never from a CDN).

One allow-list for the vendor blueprint (fonts, Leaflet) and the analyst
workbench (bpmn-js), and for the build (setup.py reads this file on its own, without
importing the app): a request can fetch exactly these files and nothing else under
node_modules, and an installed portal carries exactly these.

Where they are read from: `npm ci` puts them in node_modules/ of a checkout; the
build copies them (with each package's package.json, for its version) into the
package as app/vendor/<npm package>/<file>, so an installed portal needs no npm.
This module imports nothing from the app or from Flask (setup.py loads it by path).
"""
from __future__ import annotations

from pathlib import Path

TEXT = "text/plain; charset=utf-8"
JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"

# npm package -> {file under the package: content type}
FILES: dict[str, dict[str, str]] = {
    # The Urdu (Nastaliq) and Pashto (Naskh) web fonts: a phone without them still reads those pages.
    "@fontsource/noto-nastaliq-urdu": {
        "files/noto-nastaliq-urdu-arabic-400-normal.woff2": "font/woff2",
        "files/noto-nastaliq-urdu-arabic-700-normal.woff2": "font/woff2",
        "LICENSE": TEXT,
    },
    "@fontsource/noto-naskh-arabic": {
        "files/noto-naskh-arabic-arabic-400-normal.woff2": "font/woff2",
        "files/noto-naskh-arabic-arabic-700-normal.woff2": "font/woff2",
        "LICENSE": TEXT,
    },
    # The maps (templates/_map_assets.html). leaflet.css finds its images relative to itself.
    "leaflet": {
        "dist/leaflet.js": JS,
        "dist/leaflet.css": CSS,
        "dist/images/marker-icon.png": "image/png",
        "dist/images/marker-icon-2x.png": "image/png",
        "dist/images/marker-shadow.png": "image/png",
        "dist/images/layers.png": "image/png",
        "dist/images/layers-2x.png": "image/png",
        "LICENSE": TEXT,
    },
    "leaflet.markercluster": {
        "dist/leaflet.markercluster.js": JS,
        "dist/MarkerCluster.css": CSS,
        "dist/MarkerCluster.Default.css": CSS,
        "MIT-LICENCE.txt": TEXT,
    },
    # The BPMN modeler and viewer of the analyst workbench and the citizen's diagram view.
    "bpmn-js": {
        "dist/bpmn-modeler.production.min.js": "text/javascript",
        "dist/bpmn-navigated-viewer.production.min.js": "text/javascript",
        "dist/assets/diagram-js.css": "text/css",
        "dist/assets/bpmn-js.css": "text/css",
        "dist/assets/bpmn-font/css/bpmn.css": "text/css",
        "dist/assets/bpmn-font/font/bpmn.woff2": "font/woff2",
        "dist/assets/bpmn-font/font/bpmn.woff": "font/woff",
        "dist/assets/bpmn-font/font/bpmn.ttf": "font/ttf",
        "dist/assets/bpmn-font/font/bpmn.eot": "application/vnd.ms-fontobject",
        "dist/assets/bpmn-font/font/bpmn.svg": "image/svg+xml",
        "LICENSE": TEXT,
    },
    # The decision table editor of the analyst workbench (the DMN files deployed with a diagram).
    "dmn-js": {
        "dist/dmn-modeler.production.min.js": "text/javascript",
        "dist/assets/diagram-js.css": "text/css",
        "dist/assets/dmn-js-shared.css": "text/css",
        "dist/assets/dmn-js-drd.css": "text/css",
        "dist/assets/dmn-js-decision-table.css": "text/css",
        "dist/assets/dmn-js-decision-table-controls.css": "text/css",
        "dist/assets/dmn-js-literal-expression.css": "text/css",
        "dist/assets/dmn-font/css/dmn.css": "text/css",
        "dist/assets/dmn-font/font/dmn.woff2": "font/woff2",
        "dist/assets/dmn-font/font/dmn.woff": "font/woff",
        "dist/assets/dmn-font/font/dmn.ttf": "font/ttf",
        "dist/assets/dmn-font/font/dmn.eot": "application/vnd.ms-fontobject",
        "dist/assets/dmn-font/font/dmn.svg": "image/svg+xml",
        "LICENSE": TEXT,
    },
}

PACKAGE = Path(__file__).resolve().parent
BUILT_IN = PACKAGE / "vendor"  # filled by the build (setup.py); absent in a checkout
CHECKOUT_NODE_MODULES = PACKAGE.parent / "node_modules"


def root() -> Path:
    """The folder holding <npm package>/<file>: the installed copy, or the checkout's node_modules."""
    return BUILT_IN if BUILT_IN.is_dir() else CHECKOUT_NODE_MODULES


def wanted() -> list[str]:
    """Every path (relative to root()) an installed portal carries: the files above and each package.json."""
    return [f"{package}/{name}" for package, files in FILES.items() for name in [*files, "package.json"]]
