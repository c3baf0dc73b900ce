"""What the engine adapter tells people, as codes and facts that app/ words in the reader's language.

`workflows/` has no Flask and no reader: it cannot know whether a validation
error will be read in English, Urdu or Pashto. So it says *what* it found as a
`Note`: a code and the facts the sentence names (element ids and names, lines,
values, the engine's own technical detail). The English sentence of each code
is in `TEXTS`, marked with `N_()` so `make translations` extracts it into the
catalogues; app/ renders a note with `render(gettext, ...)` when it is shown
(the modeler's JSON, the migration pages). `str(note)` is the English
sentence, for logs, tracebacks and the command line.

A fact may itself be a Note (an element described as "user task 'x'", whose
kind words are translated too) or a list (joined in the reader's language).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


def N_(text: str) -> str:
    """Mark `text` for the catalogues without translating it here (gettext_noop)."""
    return text


TEXTS = {
    # Deploy-time validation (workflows/diagram.py)
    "xml_malformed": N_("not well-formed XML: %(detail)s"),
    "id_reserved": N_("the id '%(id)s' is reserved by the engine; rename the element"),
    "not_one_process": N_("the file must hold exactly one executable process; it holds %(count)s"),
    "process_unknown": N_(
        "process '%(process)s' is not one of this portal's processes (%(known)s); "
        "deploy it as a version of '%(suggested)s', which gives it that id"
    ),
    "process_id_taken": N_("another element already has the id '%(process)s'; rename it first"),
    "engine_refuses": N_("the engine refuses the diagram: %(detail)s"),
    "not_parsed": N_("the engine cannot read the diagram: %(detail)s"),
    "lane_not_role": N_("lane '%(lane)s' is not a role; use one of: %(roles)s"),
    "task_without_lane": N_("user task is not in a role's lane, so nobody could work it"),
    "task_without_form": N_("user task has no formKey property"),
    "unknown_form": N_("unknown formKey '%(form_key)s'; registered forms: %(forms)s"),
    "unknown_status": N_("unknown status '%(status)s'; use one of: %(statuses)s"),
    "timer_not_evaluated": N_(
        "timer expression %(expression)s does not evaluate (%(detail)s); "
        'write an ISO-8601 value in quotes, e.g. "P15D"'
    ),
    "timer_not_text": N_('timer value %(value)s is not a text; write it in quotes, e.g. "P15D"'),
    "timer_date_without_offset": N_("timer date %(value)s has no UTC offset; add one, e.g. +05:00"),
    "timer_not_iso": N_("timer value %(value)s is not a valid ISO-8601 value: %(detail)s"),
    "unknown_calendar": N_("unknown calendar '%(calendar)s'; use one of: %(calendars)s"),
    "calendar_on_event_without_duration": N_(
        "the calendar property counts the days of a duration (timeDuration); this event has none"
    ),
    # Decision tables deployed with a diagram (workflows/decisions.py)
    "decision_not_dmn": N_("this file is not a DMN decision table (DMN 1.1, 1.2 or 1.3)"),
    "decision_not_one": N_(
        "a DMN file must hold one decision with one decision table; it holds %(decisions)s decisions "
        "and %(tables)s tables"
    ),
    "decision_duplicate": N_("decision '%(decision)s' is also in %(other)s; give each decision its own id"),
    "decision_hit_policy": N_(
        "hit policy %(policy)s is not supported; use FIRST (the first row that matches decides) or UNIQUE "
        "(only one row may match)"
    ),
    "decision_rows_overlap": N_(
        "decision %(decision)s has hit policy UNIQUE, but rows %(rows)s both match %(inputs)s; make the rows "
        "exclusive, or set hitPolicy=\"FIRST\" if the first matching row should decide"
    ),
    "decision_input_unnamed": N_(
        "input '%(label)s' has no expression; write the task data it reads, e.g. department_code"
    ),
    "decision_input_not_parsed": N_("input expression %(expression)s is not a valid expression"),
    "decision_output_unnamed": N_(
        "output '%(label)s' has no valid name ('%(name)s'); name the task data it writes, e.g. commissioner_days"
    ),
    "decision_entry_not_parsed": N_("row %(row)s: the input entry %(entry)s is not a valid test"),
    "decision_output_not_value": N_(
        "row %(row)s: output %(output)s is %(entry)s, which is not a value (%(detail)s); write a number or a "
        "text in quotes"
    ),
    "decision_no_catch_all": N_(
        "no row matches every complaint; add a last row with - in every input, so that a complaint no other "
        "row matches still gets its values"
    ),
    "decision_missing": N_("business rule task has no decision; set its calledDecisionId"),
    "decision_unknown": N_(
        "business rule task calls decision '%(decision)s', which is not among the decision tables deployed with "
        "the diagram (%(decisions)s)"
    ),
    "timer_with_decision": N_("%(detail)s, with the outputs of row %(row)s of decision %(decision)s"),
    # Forms defined as data, checked at deploy (workflows/forms.py)
    "forms_not_object": N_("the forms must be one JSON object: each form's key, then its document"),
    "form_problem": N_("form '%(form)s': %(problem)s"),
    "form_key_invalid": N_("its key must start with a letter and hold only a-z, 0-9, _ : . - (at most 60)"),
    "form_key_registered": N_("its key is already a form of the portal; choose another key"),
    "form_not_object": N_("the document must be a JSON object with a title, a schema and a ui"),
    "form_schema_not_object": N_('the schema must be of type "object" with at least one property'),
    "form_field_name": N_(
        "field name '%(field)s' must start with a letter and hold only a-z, 0-9 and _ "
        "(csrf_token, attachments and photo are taken)"
    ),
    "form_field_type": N_("field '%(field)s' has type %(type)s; use one of: %(types)s"),
    "form_keyword_unsupported": N_("field '%(field)s': %(keyword)s is not supported; use: %(supported)s"),
    "form_bad_max_length": N_("field '%(field)s': maxLength must be a whole number from 1 to %(most)s"),
    "form_bad_enum": N_("field '%(field)s': enum must be a list of different, non-empty texts"),
    "form_bad_format": N_("field '%(field)s': the only format supported is \"date\""),
    "form_bad_range": N_("field '%(field)s': minimum and maximum must be whole numbers, the minimum not above the maximum"),
    "form_required_not_list": N_("required must be a list of field names"),
    "form_required_unknown": N_("required names '%(field)s', which is not a field of the schema"),
    "form_ui_not_object": N_("ui and ui.fields must be JSON objects"),
    "form_order_mismatch": N_("ui.order must name every field exactly once: %(fields)s"),
    "form_ui_unknown_field": N_("ui.fields describes '%(field)s', which is not a field of the schema"),
    "form_field_undescribed": N_("field '%(field)s' has no entry in ui.fields (its label)"),
    "form_widget": N_("field '%(field)s': widget '%(widget)s' does not fit it; use one of: %(widgets)s"),
    "form_choices_not_here": N_("field '%(field)s' has choices but is neither a yes/no field nor has an enum"),
    "form_choice_unknown": N_("field '%(field)s': choice '%(choice)s' is not one of its values"),
    "form_text_missing": N_("%(where)s has no text in %(languages)s"),
    "form_where_title": N_("the title"),
    "form_where_label": N_("the label of field '%(field)s'"),
    "form_where_hint": N_("the hint of field '%(field)s'"),
    "form_where_choice": N_("choice '%(choice)s' of field '%(field)s'"),
    # Warnings (workflows/analysis/inspect.py)
    "unreachable": N_("%(element)s cannot be reached from a start event; connect a sequence flow to it or delete it"),
    "lane_empty": N_("lane '%(lane)s' has no tasks; delete it or move its tasks into it"),
    "reminder_after_deadline": N_(
        "%(reminder)s waits %(value)s, so it does not fire before %(deadline)s (%(deadline_value)s), "
        "the deadline it announces; shorten the reminder or lengthen the deadline"
    ),
    "timer_name_contradicts": N_("%(element)s is named '%(named)s' but waits %(value)s; correct the name or the value"),
    # How a message names an element
    "element": N_("%(kind)s '%(id)s'"),
    "element_named": N_("%(kind)s '%(id)s' (%(name)s)"),
    # Migration between versions (workflows/analysis/migration.py)
    "state_unreadable": N_("the saved state cannot be read (%(detail)s)"),
    "missing_in_target": N_("%(element)s does not exist in the target version"),
    "kind_changed": N_("%(element)s is a %(kind)s here but a %(target_kind)s in the target version"),
    "timer_missing_in_target": N_("%(element)s has no timer in the target version"),
    "subprocess_missing_in_target": N_("subprocess '%(name)s' does not exist in the target version"),
    "would_not_stay_open": N_("%(element)s would not stay open in the target version"),
    "would_not_keep_waiting": N_("%(element)s would not keep waiting in the target version"),
    "history_lost": N_(
        "%(element)s was reached earlier but does not exist in the target version, so the history could not be kept"
    ),
    "moved_state_unloadable": N_("the moved state does not load on the target (%(detail)s)"),
    "timer_not_recounted": N_("%(element)s cannot be recounted under the target version's value (%(detail)s)"),
    # Simulation (workflows/analysis/simulate.py)
    "fired_at_once": N_("fired as soon as it was reached"),
    "sends_notice": N_("sends the notice '%(notice)s'"),
    "path_ends": N_("this path ends here"),
    "process_finishes": N_("the process finishes here"),
    "answered": N_("answer %(number)s of %(count)s: completed after %(days)s days"),
    "no_answer": N_("no answer in the scenario: it waits"),
    "timer": N_("timer %(expression)s"),
    "timer_repeats": N_("timer %(expression)s (repeats)"),
    "closes_task": N_("closes '%(name)s'"),
    "task_stays_open": N_("'%(name)s' stays open"),
    "throws_signal": N_("throws signal %(signal)s"),
    "catches_signal": N_("catches signal %(signal)s"),
    "attached_task": N_("the task it is attached to"),
    "loops": N_("stopped after %(count)s events: does the diagram loop without waiting?"),
    "engine_error": N_("the engine failed: %(detail)s"),
    "engine_error_at": N_("the engine failed at %(id)s: %(detail)s"),
    # Exploration before deploy (workflows/analysis/explore.py)
    "explore_failed": N_("fails on the path %(path)s: %(detail)s"),
    "explore_answer": N_("'%(name)s' (%(id)s) answered %(answer)s"),
    "explore_timer": N_("timer '%(name)s' (%(id)s) fires first"),
    "explore_at_start": N_("the start of the process"),
}

# Kinds of element, as messages name them (the BPMN element's local name, or the engine's spec class).
KINDS = {
    "userTask": N_("user task"),
    "scriptTask": N_("script task"),
    "serviceTask": N_("service task"),
    "manualTask": N_("manual task"),
    "sendTask": N_("send task"),
    "receiveTask": N_("receive task"),
    "businessRuleTask": N_("business rule task"),
    "callActivity": N_("call activity"),
    "subProcess": N_("subprocess"),
    "task": N_("task"),
    "startEvent": N_("start event"),
    "endEvent": N_("end event"),
    "intermediateCatchEvent": N_("catch event"),
    "intermediateThrowEvent": N_("throw event"),
    "boundaryEvent": N_("boundary event"),
    "gateway": N_("gateway"),
    "openTask": N_("open task"),
    "waitingTimer": N_("waiting timer"),
    "waitingEvent": N_("waiting event"),
    "cycleTimer": N_("cycle timer"),
    "durationOrDateTimer": N_("duration or date timer"),
}
TEXTS.update({f"kind:{kind}": text for kind, text in KINDS.items()})

Translate = Callable[[str], str]
JoinList = Callable[[list[str]], str]


@dataclass(frozen=True, eq=True)
class Note:
    """A message for a person: `code` (a key of TEXTS) and the facts its sentence names."""

    code: str
    facts: Mapping = field(default_factory=dict)

    def __post_init__(self):
        if self.code not in TEXTS:
            raise KeyError(f"no text for note code {self.code!r}")

    def render(self, translate: Translate = lambda text: text, join: JoinList = ", ".join) -> str:
        """The sentence, each text passed through `translate` (gettext) and lists through `join`."""
        return translate(TEXTS[self.code]) % {name: _fact(value, translate, join) for name, value in self.facts.items()}

    def __str__(self) -> str:
        return self.render()

    def __hash__(self) -> int:
        return hash((self.code, tuple(sorted((k, str(v)) for k, v in self.facts.items()))))


def _fact(value, translate: Translate, join: JoinList):
    if isinstance(value, Note):
        return value.render(translate, join)
    if isinstance(value, (list, tuple)):
        return join([str(_fact(item, translate, join)) for item in value])
    return value


def sentence(parts, translate: Translate = lambda text: text, join: JoinList = ", ".join) -> str:
    """Several parts (Notes, or data as it is) as one text, joined with "; "."""
    return "; ".join(part.render(translate, join) if isinstance(part, Note) else str(part) for part in parts)


def kind(name: str) -> Note | str:
    """The kind of an element as a Note (translated when shown), or `name` itself when it has no words here."""
    return Note(f"kind:{name}") if f"kind:{name}" in TEXTS else name


def element(kind_name: str | Note, element_id: str, name: str | None = None) -> Note:
    """How a message names an element: `user task 'dc_triage' (Assign to an officer)`."""
    facts = {"kind": kind_name if isinstance(kind_name, Note) else kind(kind_name), "id": element_id}
    return Note("element_named", {**facts, "name": name}) if name else Note("element", facts)
