"""The build step that makes an installed portal whole (the rest of the metadata is in setup.cfg).

`pip install <checkout>` (or `python -m build`) copies into the built package what
the checkout keeps elsewhere, so the installed portal needs neither the repository
nor npm nor a compile step:

- bpmn/ (the source diagrams and decision tables)  -> app/bpmn/
- the served npm files (app/served_npm_files.py)   -> app/vendor/<npm package>/<file>
  (from node_modules; `npm ci` is run first when they are missing and npm is there)
- the Urdu and Pashto catalogues, compiled         -> app/translations/<lang>/LC_MESSAGES/messages.mo

Only the build folder is written; the checkout is left as it was (except node_modules).
"""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def _served_npm_files():
    """app/served_npm_files.py, loaded by path: importing `app` would need Flask at build time."""
    spec = importlib.util.spec_from_file_location("served_npm_files", ROOT / "app" / "served_npm_files.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildPortal(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads all of these from the checkout itself
        package = Path(self.build_lib) / "app"
        self._copy_bpmn(package / "bpmn")
        self._copy_npm_files(package / "vendor")
        self._compile_catalogues(package / "translations")

    def _copy_bpmn(self, target: Path):
        target.mkdir(parents=True, exist_ok=True)
        # The diagrams and the decision tables they call (sla.dmn): a deploy reads the *.dmn beside the diagram.
        for source in sorted((ROOT / "bpmn").glob("*")):
            if source.suffix in (".bpmn", ".dmn"):
                shutil.copy2(source, target / source.name)

    def _copy_npm_files(self, target: Path):
        served = _served_npm_files()
        node_modules = ROOT / "node_modules"
        if not all((node_modules / path).is_file() for path in served.wanted()):
            npm = shutil.which("npm")
            if npm is None:
                raise SystemExit(
                    "building the portal needs its front-end files from node_modules: install Node.js with npm "
                    "(Debian: apt-get install npm) or run `npm ci` in the checkout first"
                )
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True)
        missing = [path for path in served.wanted() if not (node_modules / path).is_file()]
        if missing:
            raise SystemExit(f"node_modules lacks {', '.join(missing)}: is package.json's version the one listed?")
        for path in served.wanted():
            (target / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(node_modules / path, target / path)

    def _compile_catalogues(self, target: Path):
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted((ROOT / "app" / "translations").glob("*/LC_MESSAGES/messages.po")):
            with po.open("rb") as source:
                catalogue = read_po(source, locale=po.parts[-3])
            mo = target / po.relative_to(ROOT / "app" / "translations").with_suffix(".mo")
            mo.parent.mkdir(parents=True, exist_ok=True)
            with mo.open("wb") as compiled:
                write_mo(compiled, catalogue)


setup(cmdclass={"build_py": BuildPortal})
