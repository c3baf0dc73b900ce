"""config/portal.env.example names every setting the portal reads, and nothing else."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_settings_file_names_exactly_the_settings_the_portal_reads():
    read = set(re.findall(r'environ(?:\.get\(|\[)"([A-Z0-9_]+)"', (ROOT / "app" / "settings.py").read_text()))
    read -= {"XDG_DATA_HOME"}  # the desktop standard's variable, not a setting of ours
    example = (ROOT / "config" / "portal.env.example").read_text()
    named = set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert read - named == set(), "settings missing from config/portal.env.example"
    assert named - read == set(), "config/portal.env.example names settings that app/settings.py does not read"


def test_the_example_is_in_systemds_format():
    for line in (ROOT / "config" / "portal.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            assert re.fullmatch(r"[A-Z][A-Z0-9_]+", name), line
            assert "#" not in value and not value.startswith(('"', "'")), line
