"""The wheel carries everything an installed portal needs, and nothing of the checkout's own.

`.ci/install-check` installs this wheel on Python 3.12 and 3.13 and runs it; this test looks inside it.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from app import served_npm_files

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")), reason="the wheel is the same on any database: the SQLite pass builds it"
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """Build the wheel from a copy of the checkout (the build must not write into it), as pip does."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "node_modules", "instance", "build", "dist", "*.egg-info", "__pycache__", "tests", "bench"))
    (source / "node_modules").symlink_to(ROOT / "node_modules")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), str(source)],
                   check=True, capture_output=True, timeout=600)
    [built] = (work / "dist").glob("citizens_portal-*.whl")
    return zipfile.ZipFile(built)


def test_the_portal_package_and_the_engine_adapter_are_the_only_top_level_names(wheel):
    tops = {name.split("/", 1)[0] for name in wheel.namelist() if not name.split("/", 1)[0].endswith(".dist-info")}
    assert tops == {"app", "workflows"}  # no `config`, no `tests`, no `worker` to clash with other packages


def test_templates_static_files_migrations_and_places_are_in(wheel):
    names = set(wheel.namelist())
    for folder in ("templates", "static"):
        for path in (ROOT / "app" / folder).rglob("*"):
            if path.is_file():
                assert path.relative_to(ROOT).as_posix() in names
    for path in (ROOT / "app" / "migrations").rglob("*.py"):
        assert path.relative_to(ROOT).as_posix() in names
    assert {"app/migrations/script.py.mako", "app/geo/places.json", "app/__main__.py", "app/worker.py"} <= names


def test_every_file_of_the_checkout_s_packages_is_in_except_sources_and_tools(wheel):
    """A data file a feature adds (a list, a table) must reach an installed portal: setup.cfg's package_data."""
    names = set(wheel.namelist())
    tracked = subprocess.run(["git", "ls-files", "app", "workflows"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()

    def left_out_on_purpose(path: Path) -> bool:
        return (path.suffix in (".po", ".pot")  # compiled into the .mo files instead
                or path.name == "README.md"
                # a tool beside its data (app/geo/build_places.py), not a module: its folder is no package
                or (path.suffix == ".py" and not (ROOT / path.parent / "__init__.py").is_file()
                    and "migrations" not in path.parts))

    missing = [path for path in tracked if path not in names and not left_out_on_purpose(Path(path))]
    assert missing == [], f"not in the wheel (add a pattern to [options.package_data] in setup.cfg): {missing}"


def test_the_build_adds_the_diagram_the_compiled_catalogues_and_the_served_npm_files(wheel):
    names = set(wheel.namelist())
    shipped = sorted((ROOT / "bpmn").glob("*.bpmn")) + sorted((ROOT / "bpmn").glob("*.dmn"))
    assert {path.name for path in shipped} >= {"complaint.bpmn", "sla.dmn"}
    for path in shipped:  # the diagram and every decision table it calls, or an installed seed cannot deploy
        assert wheel.read(f"app/bpmn/{path.name}") == path.read_bytes()
    for language in ("ur", "ps"):
        mo = wheel.read(f"app/translations/{language}/LC_MESSAGES/messages.mo")
        assert mo[:4] in (b"\xde\x12\x04\x95", b"\x95\x04\x12\xde") and len(mo) > 10_000  # a gettext catalogue
    for path in served_npm_files.wanted():
        assert wheel.read(f"app/vendor/{path}") == (ROOT / "node_modules" / path).read_bytes()
    assert not any(name.startswith("app/vendor/") and name.removeprefix("app/vendor/") not in served_npm_files.wanted()
                   for name in names)  # only the allow-list: no other file of node_modules


def test_the_portal_command_and_the_extras(wheel):
    info = next(name for name in wheel.namelist() if name.endswith(".dist-info/entry_points.txt"))
    assert "portal = app.command:main" in wheel.read(info).decode()
    metadata = wheel.read(info.replace("entry_points.txt", "METADATA")).decode()
    assert "Requires-Python: <3.14,>=3.11" in metadata
    assert "Requires-Dist: time-machine==3.6.0; extra == \"demo\"" in metadata
    assert "Requires-Dist: time-machine==3.6.0\n" not in metadata  # not a runtime requirement
