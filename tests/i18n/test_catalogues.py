"""Every text a person reads goes through gettext, and every catalogue translates all of it.

Run by `make test` with the rest of the suite. When one of these fails:
wrap the text in `_()` (templates, pages) or `_l()` (services, forms, models),
run `make translations`, and translate the new entries of
`app/translations/{ur,ps}/LC_MESSAGES/messages.po`.
"""
from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
TEMPLATES = APP / "templates"
TRANSLATIONS = APP / "translations"
LANGUAGES = ("ur", "ps")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_n": (1, 2), "_ln": (1, 2), "_l": None, "lazy_gettext": None,
            "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2), "N_": None}

# Machine interfaces and operator tooling, read by programmers and operators in English.
NOT_FOR_PEOPLE = {"app/cli.py", "app/api/openapi.py", "app/api/openapi_schemas.py", "app/api/docs.py",
                  "app/organisation_data.py"}
NOT_FOR_PEOPLE_TEMPLATES = {"api/docs.html", "fonts.css"}


# Templates ---------------------------------------------------------------------

JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
VISIBLE_ATTRIBUTES = {"placeholder", "title", "alt", "aria-label", "aria-description"}
WORD = re.compile(r"[A-Za-z]{2,}")


class _TextFinder(HTMLParser):
    """Text nodes and visible attributes of a template with its Jinja parts blanked out."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if value and (name in VISIBLE_ATTRIBUTES or (name == "value" and ("type", "submit") in attrs)):
                self.found.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.found.append(data)


def untranslated_template_texts(path: Path) -> list[str]:
    source = JINJA.sub(" ", path.read_text(encoding="utf-8"))
    finder = _TextFinder()
    finder.feed(source)
    return [text.strip() for text in finder.found if WORD.search(text)]


def html_templates():
    for path in sorted(TEMPLATES.rglob("*.html")):
        if path.relative_to(TEMPLATES).as_posix() not in NOT_FOR_PEOPLE_TEMPLATES:
            yield path


@pytest.mark.parametrize("path", list(html_templates()), ids=lambda p: p.relative_to(TEMPLATES).as_posix())
def test_templates_show_no_text_outside_gettext(path):
    assert untranslated_template_texts(path) == []


def test_the_check_finds_text_outside_gettext(tmp_path):
    page = tmp_path / "page.html"
    page.write_text('<p>{{ _("Fine") }}</p><p>Not fine</p><input placeholder="Also not">'
                    '<script>ignored()</script>{# a comment #}')
    assert untranslated_template_texts(page) == ["Not fine", "Also not"]


def test_every_message_template_has_urdu_and_pashto():
    english = sorted(p.name.removesuffix(".en.txt") for p in (TEMPLATES / "notifications").glob("*.en.txt"))
    missing = [f"{name}.{lang}.txt" for name in english for lang in LANGUAGES
               if not (TEMPLATES / "notifications" / f"{name}.{lang}.txt").is_file()]
    assert missing == []


# Python ------------------------------------------------------------------------

# Calls whose string arguments people read: flashes, domain errors, API problems, form labels.
PEOPLE_SINKS = {"flash", "Invalid", "Conflict", "NotAllowed", "StepInvalid", "StepTaken", "ApiProblem", "problem",
                "DraftRejected"}
FIELD = re.compile(r"[A-Z]\w*Field$")
VALIDATOR_MESSAGES = {"message", "label", "description"}
SENTENCE = re.compile(r"[A-Za-z]{2,}[^A-Za-z]+[A-Za-z]{2,}")  # two words: a phrase, not an id or a code


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _plain_strings(node: ast.AST):
    """String constants in `node` that are not inside a gettext call."""
    if isinstance(node, ast.Call) and _called_name(node) in KEYWORDS:
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
        return
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.keyword) and child.arg in {"status", "type", "headers", "field", "code"}:
            continue
        yield from _plain_strings(child)


def untranslated_python_texts(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _called_name(node)
        if name in PEOPLE_SINKS:
            arguments = list(node.args) + [k.value for k in node.keywords if k.arg not in {"status", "type", "headers"}]
        elif FIELD.match(name):  # WTForms: Field("Label", ..., description=...); validators below
            arguments = node.args[:1] + [k.value for k in node.keywords if k.arg in VALIDATOR_MESSAGES]
        elif name in {"DataRequired", "InputRequired", "Length", "Regexp", "Email", "NumberRange", "Optional"}:
            arguments = [k.value for k in node.keywords if k.arg == "message"]
        else:
            continue
        for argument in arguments:
            for constant in _plain_strings(argument):
                if SENTENCE.search(constant.value):
                    found.append(f"{path.relative_to(root)}:{constant.lineno}: {constant.value!r}")
    return found


def python_modules():
    for path in sorted(APP.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative not in NOT_FOR_PEOPLE and "/migrations/" not in relative:
            yield path


@pytest.mark.parametrize("path", list(python_modules()), ids=lambda p: p.relative_to(APP).as_posix())
def test_python_gives_people_no_text_outside_gettext(path):
    assert untranslated_python_texts(path) == []


def test_the_check_finds_python_text_outside_gettext(tmp_path):
    module = tmp_path / "module.py"
    module.write_text('flash("Saved your answer.")\nflash(_("Saved."))\nraise Invalid({"name": ["Say your name."]})\n'
                      'name = StringField("Full name", validators=[DataRequired(message="Enter it please")])\n'
                      'raise NotFound(f"task {task_id}")\n')
    found = [line.split(": ", 1)[1] for line in untranslated_python_texts(module, root=tmp_path)]
    assert found == ["'Saved your answer.'", "'Say your name.'", "'Full name'", "'Enter it please'"]


def test_role_and_status_labels_are_translatable():
    for module, name in (("app/models/users.py", "ROLE_LABELS"), ("app/models/complaints.py", "STATUS_LABELS")):
        tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
        (labels,) = [node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                     and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)]
        plain = [v.value for v in labels.values if not (isinstance(v, ast.Call) and _called_name(v) in KEYWORDS)]
        assert plain == [], f"{module} {name}"


# Catalogues --------------------------------------------------------------------

def extracted_messages() -> set[tuple[str | None, str]]:
    """(context, msgid) of every text in the code: one msgid in two senses (pgettext) is two entries."""
    method_map = [("app/**.py", "python"), ("workflows/**.py", "python"),
                  ("app/templates/**.html", "jinja2"), ("app/templates/**.css", "jinja2")]

    def keep(path: str) -> bool:
        return not any(part.startswith(".") or part == "node_modules" for part in Path(path).parts)

    found = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, keywords=KEYWORDS, directory_filter=lambda d: keep(d)
    ):
        found.add((context, message if isinstance(message, str) else message[0]))
    return found


@pytest.fixture(scope="module")
def in_the_code() -> set[tuple[str | None, str]]:
    return extracted_messages()


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_translates_every_text_of_the_code(language, in_the_code):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as file:
        catalogue = read_po(file)
    entries = {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in catalogue if m.id}
    missing = sorted(in_the_code - set(entries), key=str)
    untranslated = sorted((k for k, m in entries.items() if k in in_the_code and not (
        all(m.string) if isinstance(m.string, tuple) else m.string)), key=str)
    fuzzy = sorted((k for k, m in entries.items() if m.fuzzy), key=str)
    assert (missing, untranslated, fuzzy) == ([], [], []), "run `make translations` and translate these"
