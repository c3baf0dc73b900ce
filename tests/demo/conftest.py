"""The recorder's tests drive the engine like the adapter's tests do: they share
tests/workflows/conftest.py's fixtures (the shipped diagram, a frozen clock and
the `flow` driver). That folder has no `__init__.py` on purpose (see its
conftest), so its fixtures are loaded here by path rather than imported."""
import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "engine_test_fixtures", Path(__file__).resolve().parents[1] / "workflows" / "conftest.py"
)
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)

diagram = _fixtures.diagram
clock = _fixtures.clock
flow = _fixtures.flow
shipped_xml = _fixtures.shipped_xml
parse_xml = _fixtures.parse_xml
