"""workflows/ says what it found as codes and facts; the words come from whoever shows them."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from workflows import notes
from workflows.notes import Note, TEXTS

WORKFLOWS = Path(notes.__file__).parent


def test_english_is_the_default_wording():
    note = Note("unknown_form", {"form_key": "x", "forms": ["a", "b"]})
    assert str(note) == "unknown formKey 'x'; registered forms: a, b"


def test_a_reader_brings_the_words_and_the_list_joining():
    words = {TEXTS["missing_in_target"]: "<%(element)s fehlt>", TEXTS["element_named"]: "%(kind)s %(id)s/%(name)s",
             TEXTS["kind:openTask"]: "offene Aufgabe"}
    note = Note("missing_in_target", {"element": notes.element("openTask", "t1", "Prüfen")})
    assert note.render(lambda text: words.get(text, text)) == "<offene Aufgabe t1/Prüfen fehlt>"
    listed = Note("lane_not_role", {"lane": "clerk", "roles": ["a", "b", "c"]})
    assert listed.render(join=" / ".join) == "lane 'clerk' is not a role; use one of: a / b / c"


def test_an_unknown_code_is_refused_at_once():
    with pytest.raises(KeyError):
        Note("no_such_code")


def test_kinds_without_words_stay_as_they_are():
    assert notes.kind("transaction") == "transaction"
    assert isinstance(notes.kind("userTask"), Note)


def test_every_text_is_marked_for_the_catalogues_and_every_code_is_used():
    """`make translations` finds each text by its N_() mark; a code nobody raises is dead text to translate."""
    source = (WORKFLOWS / "notes.py").read_text(encoding="utf-8")
    marked = {node.args[0].value for node in ast.walk(ast.parse(source))
              if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "N_"}
    assert set(TEXTS.values()) <= marked
    helpers = source[source.index("Translate = "):]  # notes.py's own functions, after the texts
    users = helpers + "".join(p.read_text(encoding="utf-8") for p in WORKFLOWS.rglob("*.py") if p.name != "notes.py")
    unused = [code for code in TEXTS if not code.startswith("kind:") and f'"{code}"' not in users]
    assert unused == []


def test_the_adapter_builds_no_english_sentences_for_people_any_more():
    """DiagramError, MigrationRefused and simulation details carry Notes, never f-strings with words."""
    offenders = []
    for path in [WORKFLOWS / "diagram.py", *(WORKFLOWS / "analysis").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in {"DiagramError", "MigrationRefused"}:
                first = node.args[0] if node.args else None
                if isinstance(first, (ast.JoinedStr, ast.Constant)):
                    offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
