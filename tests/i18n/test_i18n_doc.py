"""docs/i18n.md is linked from the README and the architecture, and every file it names exists."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "i18n.md"


def test_the_guide_is_linked_where_engineers_start():
    assert "docs/i18n.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/i18n.md" in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_every_file_the_guide_names_exists():
    text = GUIDE.read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:app|workflows|tests|docs)/[\w./-]+?\.(?:py|md|html|css|txt|po))`", text))
    named |= {f"{folder}/{name}" for folder, name in re.findall(r"`(tests/i18n)/?`.*?`(test_\w+\.py)`", text)}
    assert named, "the guide names the files it talks about"
    missing = sorted(path for path in named if "<" not in path and not (ROOT / path).exists())
    assert missing == []


def test_the_guide_covers_what_a_translator_and_an_engineer_need():
    text = GUIDE.read_text(encoding="utf-8")
    for topic in ("make translations", "pgettext", "_l(", "N_(", "Note", "data-numbers", "Noto Nastaliq Urdu",
                  "/admin/places", "logical properties", "fuzzy", "شکایت"):
        assert topic in text, topic
    assert "http://" not in text and "https://" not in text  # the project's docs link nothing outside it
