"""Schemas, parameters and shared responses of the OpenAPI document (see openapi.py)."""
from __future__ import annotations

from ..models import LANGUAGES as LANGUAGE_CODES
from ..services.notifications.outbox import OPTIONAL_SMS as SMS_NOTICES
from ..services.people.passwords import CITIZEN_MIN, MAX_LENGTH as MAX_PASSWORD, STAFF_MIN
from ..services.interop.idempotency import MAX_KEY_LENGTH

MAX_ID = 2**31 - 1
DATE_TIME = {"type": "string", "format": "date-time"}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
STATUSES = ["submitted", "in_progress", "resolved", "systemic", "closed"]
BINARY = {"type": "string", "format": "binary"}
LANGUAGES = list(LANGUAGE_CODES)
ROLES = ["citizen", "district_officer", "deputy_commissioner", "commissioner", "chief_secretary", "analyst", "admin"]


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    if set(schema) <= {"type", "format", "description"} and isinstance(schema.get("type"), str):
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict, *, required: list[str] | None = None, description: str = "") -> dict:
    """An object whose listed properties are all present unless `required` says otherwise."""
    schema = {"type": "object", "properties": properties, "required": list(properties) if required is None else required}
    if description:
        schema["description"] = description
    return schema


def items_of(name: str) -> dict:
    return obj({"items": {"type": "array", "items": ref(name)}})


LOCAL_NAMES = {
    "name_ur": nullable({"type": "string", "description": "The name in Urdu; null: show `name`"}),
    "name_ps": nullable({"type": "string", "description": "The name in Pashto; null: show `name`"}),
}
REF = obj({"id": {"type": "integer"}, "name": {"type": "string", "description": "English, whatever the request's language"},
           **LOCAL_NAMES}, description="A division, district, department or category, by id, with its names.")

PERSON = obj(
    {
        "role": {"type": "string", "enum": ROLES},
        "role_label": {"type": "string"},
        "name": nullable({"type": "string", "description": "null when a citizen reads about staff"}),
    },
    description="Who did or holds something. Citizens see staff by role only.",
)

NEW_COMPLAINT = {
    "category_id": ID,
    "district_id": {**ID, "description": "Default: the citizen's own district"},
    "subject": {"type": "string", "minLength": 5, "maxLength": 150},
    "description": {"type": "string", "minLength": 20, "maxLength": 5000},
    "address": {"type": "string", "maxLength": 300},
    "latitude": {"type": "number", "minimum": -90, "maximum": 90, "description": "With longitude, or neither. A point outside Khyber Pakhtunkhwa "
                 "(its nearest known town is not in the province, or none of the province's is within 60 km) "
                 "is refused with 422 and an error on latitude"},
    "longitude": {"type": "number", "minimum": -180, "maximum": 180},
}

SCHEMAS = {
    "Problem": obj(
        {
            "type": {"type": "string", "description": "A URI naming the kind of problem; about:blank when the status says it all."},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string", "description": "What went wrong and what to do, for a person."},
            "errors": {
                "type": "object",
                "description": "400 and 422: what is wrong with each field (`_form` for the request as a whole).",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
            "completed_by": nullable(ref("Person")),
            "completed_at": nullable(DATE_TIME),
        },
        required=["type", "title", "status"],
        description="RFC 9457 problem details (media type application/problem+json).",
    ),
    "Ref": REF,
    "Person": PERSON,
    "Token": obj(
        {
            "token": {"type": "string", "description": "Send it as `Authorization: Bearer <token>`; shown once."},
            "token_type": {"type": "string", "const": "Bearer"},
            "expires_at": DATE_TIME,
            "user": ref("User"),
            "must_change_password": {
                "type": "boolean",
                "description": "The password no longer meets the rules: change it (`POST /me/password`) first; until "
                "then every other call but `GET /me` and `DELETE /auth/token` answers 403.",
            },
        }
    ),
    "User": obj(
        {
            "id": {"type": "integer"},
            "role": {"type": "string", "enum": ROLES},
            "role_label": {"type": "string"},
            "full_name": {"type": "string"},
            "username": nullable({"type": "string"}),
            "cnic": nullable({"type": "string"}),
            "mobile": nullable({"type": "string"}),
            "mobile_confirmed": {"type": "boolean", "description": "Citizens: the number is proved with a code (complaints need it)"},
            "email": nullable({"type": "string"}),
            "language": {"type": "string", "enum": LANGUAGES},
            "district": nullable(ref("Ref")),
            "division": nullable(ref("Ref")),
            "department": nullable(ref("Ref")),
            "created_at": DATE_TIME,
        }
    ),
    "Account": {
        "allOf": [
            ref("User"),
            obj(
                {
                    "pending_mobile": nullable({"type": "string", "description": "A number waiting for its code (citizens)"}),
                    "must_change_password": {"type": "boolean", "description": "The password must be changed first"},
                    "sms_notices": {
                        "type": "object",
                        "description": "Citizens: each optional notice and whether it comes by SMS (it always comes in-app). Empty for staff.",
                        "additionalProperties": {"type": "boolean"},
                        "examples": [{name: True for name in SMS_NOTICES}],
                    },
                }
            ),
        ],
        "description": "The caller's own account.",
    },
    "AccountChanges": obj(
        {
            "language": {"type": "string", "enum": LANGUAGES},
            "email": nullable({"type": "string", "maxLength": 200}),
            "sms_notices": {
                "type": "object",
                "description": f"Notices to switch on (true) or off by SMS: {', '.join(SMS_NOTICES)}",
                "additionalProperties": {"type": "boolean"},
            },
        },
        required=[],
        description="Only what changes.",
    ),
    "PasswordChange": obj(
        {"current_password": {"type": "string", "minLength": 1},
         "new_password": {"type": "string", "minLength": CITIZEN_MIN, "maxLength": MAX_PASSWORD,
                          "description": f"At least {CITIZEN_MIN} characters ({STAFF_MIN} for staff), not a common "
                          "password, not easy to guess (422 on `new_password` says why)"}}
    ),
    "MobileChange": obj({"mobile": {"type": "string", "description": "A Pakistani mobile number", "examples": ["0345-7654321"]}}),
    "MobileConfirmation": obj({"code": {"type": "string", "description": "The 6 digits of the SMS", "examples": ["482913"]}}),
    "CodeSent": obj(
        {
            "detail": {"type": "string", "description": "What happened and what to do next, for a person"},
            "mobile": {"type": "string", "description": "The number the code went to, partly hidden"},
        }
    ),
    "District": obj(
        {"id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"}, **LOCAL_NAMES,
         "division": ref("Ref")}
    ),
    "Department": obj({"id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"}, **LOCAL_NAMES}),
    "Category": obj(
        {
            "id": {"type": "integer"},
            "code": {"type": "string"},
            "name": {"type": "string"},
            **LOCAL_NAMES,
            "department_id": {"type": "integer"},
        }
    ),
    "DistrictList": items_of("District"),
    "DepartmentList": items_of("Department"),
    "CategoryList": items_of("Category"),
    "ComplaintSummary": obj(
        {
            "id": {"type": "integer"},
            "tracking_number": {"type": "string", "examples": ["KP-2611-0000042"]},
            "subject": {"type": "string"},
            "status": {"type": "string", "enum": STATUSES},
            "status_label": {"type": "string"},
            "category": ref("Ref"),
            "department": ref("Ref"),
            "district": ref("Ref"),
            "escalation_level": {"type": "integer", "description": "0; 1 after the Commissioner's review; 2 after the Chief Secretary's"},
            "rating": nullable({"type": "integer"}),
            "satisfied": nullable({"type": "boolean"}),
            "closure": nullable({"type": "string"}),
            "created_at": DATE_TIME,
            "updated_at": DATE_TIME,
            "url": {"type": "string"},
        }
    ),
    "ComplaintPage": obj(
        {
            "items": {"type": "array", "items": ref("ComplaintSummary")},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "total": {"type": "integer", "minimum": 0},
            "pages": {"type": "integer", "minimum": 1},
        },
        description="One page of a list, newest first.",
    ),
    "Candidate": obj(
        {
            "id": {"type": "integer"},
            "subject": {"type": "string"},
            "created_at": DATE_TIME,
            "status": {"type": "string", "enum": [s for s in STATUSES if s != "closed"]},
            "status_label": {"type": "string"},
            "supported": {"type": "boolean", "description": "true when the caller already added their voice to it"},
            "support_url": {"type": "string", "description": "POST here to add the caller's voice"},
        },
        description="An open complaint that may be the one the citizen is about to lodge. Nothing says who lodged it.",
    ),
    "CandidateList": items_of("Candidate"),
    "Support": obj(
        {
            "complaint_id": {"type": "integer"},
            "supported": {"type": "boolean", "const": True},
            "added": {"type": "boolean", "description": "false when the caller had already added their voice"},
        }
    ),
    "Step": obj(
        {
            "name": {"type": "string", "description": "The open task's name in the diagram"},
            "role": {"type": "string", "enum": ROLES},
            "role_label": {"type": "string"},
            "assignee": nullable(ref("Person")),
            "since": DATE_TIME,
            "due_at": nullable(DATE_TIME),
        },
        description="Where the complaint is now: an open task and who holds it.",
    ),
    "Event": obj(
        {
            "id": {"type": "integer"},
            "kind": {"type": "string", "examples": ["lodged", "assigned", "resolved", "escalated", "rated", "reopened"]},
            "note": nullable({"type": "string"}),
            "at": DATE_TIME,
            "actor": nullable(ref("Person")),
        },
        description="A line of the timeline (actor null: the portal itself, e.g. an escalation).",
    ),
    "Attachment": obj(
        {
            "id": {"type": "integer"},
            "purpose": {"type": "string", "enum": ["complaint", "evidence"], "description": "The citizen's, or an officer's evidence"},
            "kind": {"type": "string", "enum": ["photo", "document"]},
            "content_type": {"type": "string", "enum": ["image/jpeg", "image/png", "application/pdf"],
                             "description": "Photos are stored as JPEG (PNG only for photos of before)"},
            "size": {"type": "integer"},
            "filename": nullable({"type": "string", "description": "A document's name, for saving it; null for photos"}),
            "added_by": ref("Person"),
            "added_at": DATE_TIME,
            "url": {"type": "string", "description": "GET it with the same bearer token"},
            "thumbnail_url": nullable({"type": "string", "description": "A photo's small version (at most 320 px); null for documents"}),
        }
    ),
    "TaskRef": obj({"id": {"type": "integer"}, "name": {"type": "string"}, "form_key": {"type": "string"}, "url": {"type": "string"}}),
    "ComplaintDetail": {
        "allOf": [
            ref("ComplaintSummary"),
            obj(
                {
                    "description": {"type": "string"},
                    "address": nullable({"type": "string"}),
                    "latitude": nullable({"type": "number"}),
                    "longitude": nullable({"type": "number"}),
                    "next_deadline_at": nullable(DATE_TIME),
                    "reopen_count": {"type": "integer"},
                    "resolved_at": nullable(DATE_TIME),
                    "closed_at": nullable(DATE_TIME),
                    "current_step": {"type": "array", "items": ref("Step")},
                    "my_task": nullable(ref("TaskRef")),
                    "timeline": {"type": "array", "items": ref("Event")},
                    "attachments": {"type": "array", "items": ref("Attachment")},
                    "citizen": nullable(ref("CitizenContact")),
                }
            ),
        ],
        "description": "A complaint with its timeline and its current step. `my_task` is the caller's open task on it (a citizen's rating).",
    },
    "CitizenContact": obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "cnic": {"type": "string", "description": "Masked, e.g. 17301-*****-1 (empty when none)"},
            "mobile": {"type": "string", "description": "Masked, e.g. 0300-*****67 (empty when none)"},
            "reveal_url": nullable({"type": "string", "description": "POST here, with a reason, for the whole value (recorded)"}),
        },
        description="Who lodged the complaint, as staff see them; null for the citizen's own reading.",
    ),
    "RevealRequest": obj(
        {
            "field": {"type": "string", "enum": ["cnic", "mobile"]},
            "reason": {"type": "string", "enum": ["contact", "identity", "official_request", "other"]},
            "note": {"type": "string", "maxLength": 300, "description": "Needed (5 characters or more) when the reason is `other`"},
            "complaint_id": nullable({**ID, "description": "The complaint the request is about, kept with the record"}),
        },
        required=["field", "reason"],
    ),
    "RevealedData": obj({"field": {"type": "string", "enum": ["cnic", "mobile"]}, "value": {"type": "string"}}),
    "MyData": obj(
        {
            "format": {"type": "integer"},
            "exported_at": DATE_TIME,
            "account": {"type": "object"},
            "complaints": {"type": "array", "items": {"type": "object"}},
            "supported_complaints": {"type": "array", "items": {"type": "object"}},
            "notifications": {"type": "array", "items": {"type": "object"}},
            "sessions": {"type": "array", "items": {"type": "object"}},
            "phones": {"type": "array", "items": {"type": "object"}},
        },
        description="Everything the portal holds about the citizen; staff appear by role only.",
    ),
    "Task": obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "form_key": {"type": "string", "examples": ["dc_triage", "officer_action", "citizen_rating"]},
            "url": {"type": "string"},
            "role": {"type": "string", "enum": ROLES},
            "escalation_level": nullable({"type": "integer"}),
            "created_at": DATE_TIME,
            "due_at": nullable(DATE_TIME),
            "completed_at": nullable(DATE_TIME),
            "complaint": obj(
                {
                    "id": {"type": "integer"},
                    "tracking_number": {"type": "string"},
                    "subject": {"type": "string"},
                    "status": {"type": "string", "enum": STATUSES},
                    "district": ref("Ref"),
                    "next_deadline_at": nullable(DATE_TIME),
                    "url": {"type": "string"},
                }
            ),
        }
    ),
    "TaskList": items_of("Task"),
    "FormField": obj(
        {
            "name": {"type": "string", "description": "The key to send when completing the task"},
            "type": {"type": "string", "examples": ["choice", "text", "string", "integer", "boolean", "date"],
                     "description": "A date is sent as YYYY-MM-DD; a yes/no question of an analyst's form is a choice of yes / no"},
            "label": {"type": "string"},
            "required": {
                "type": "boolean",
                "description": "Always required. Some fields are required only with a certain choice (e.g. the officer when assigning); a 422 says so.",
            },
            "max_length": nullable({"type": "integer"}),
            "choices": nullable(
                {
                    "type": "array",
                    "items": obj({"value": {"type": "string"}, "label": {"type": "string"}}),
                }
            ),
        }
    ),
    "TaskDetail": {
        "allOf": [
            ref("Task"),
            obj(
                {
                    "open": {"type": "boolean"},
                    "may_work": {"type": "boolean", "description": "true when the caller may complete it now"},
                    "completed_by": nullable(ref("Person")),
                    "form": nullable(obj(
                        {
                            "key": {"type": "string"},
                            "accepts_photo": {"type": "boolean", "description": "The same as accepts_attachments (older apps read this)"},
                            "accepts_attachments": {"type": "boolean", "description": "Photos and PDF documents may be sent with it"},
                            "fields": {"type": "array", "items": ref("FormField")},
                        },
                        description="What completing the task takes; null unless the caller may complete it now (may_work)",
                    )),
                }
            ),
        ]
    },
    "Completion": obj(
        {
            "task": ref("Task"),
            "complaint": obj(
                {
                    "id": {"type": "integer"},
                    "status": {"type": "string", "enum": STATUSES},
                    "status_label": {"type": "string"},
                    "url": {"type": "string"},
                }
            ),
            "next_steps": {"type": "array", "items": ref("Step")},
        }
    ),
    "Registration": obj(
        {
            "full_name": {"type": "string", "minLength": 3, "maxLength": 120},
            "cnic": {"type": "string", "description": "13 digits, dashes allowed", "examples": ["17301-1234567-1"]},
            "mobile": {"type": "string", "description": "A Pakistani mobile number", "examples": ["0300-1234567"]},
            "district_id": ID,
            "password": {"type": "string", "minLength": CITIZEN_MIN, "maxLength": MAX_PASSWORD,
                         "description": "Not a common password, not easy to guess (422 on `password` says why)"},
            "language": {"type": "string", "enum": LANGUAGES, "description": "Of the portal and its SMS"},
        },
        required=["full_name", "cnic", "mobile", "district_id", "password"],
        description="A citizen registers; a code comes by SMS to confirm the number.",
    ),
    "SignIn": obj(
        {
            "login": {"type": "string", "minLength": 1, "description": "CNIC, mobile number, or a staff username"},
            "password": {"type": "string", "minLength": 1},
            "totp": {"type": "string", "description": "Staff with a second factor (Deputy Commissioners, Commissioners, "
                     "the Chief Secretary, analysts, administrators, officers who chose it): the 6-digit code of "
                     "their authenticator app, or a recovery code"},
        }
    ),
    "NewComplaint": obj(NEW_COMPLAINT, required=["category_id", "subject", "description"]),
    "NewComplaintWithPhoto": obj(
        {
            **NEW_COMPLAINT,
            "photos": {"type": "array", "maxItems": 5, "items": BINARY,
                       "description": "Up to 5 photos (the part repeated): JPEG, PNG or HEIC, at most 5 MB each"},
            "photo": {**BINARY, "description": "One photo (older apps); counts towards the 5"},
        },
        required=["category_id", "subject", "description"],
    ),
    "Rating": obj(
        {
            "rating": {"type": "integer", "minimum": 1, "maximum": 5},
            "satisfied": {"type": "boolean", "description": "false reopens the complaint"},
            "comment": {"type": "string", "maxLength": 2000, "description": "Required when not satisfied"},
        },
        required=["rating", "satisfied"],
    ),
    "TaskInput": {
        "type": "object",
        "description": "The task form's fields by name (see the task's `form.fields`): strings, or numbers for ids.",
        "additionalProperties": {"type": ["string", "integer", "number", "boolean"]},
    },
    "TaskInputWithPhoto": {
        "type": "object",
        "description": "The same fields as form values, and files when the form accepts attachments.",
        "properties": {
            "attachments": {"type": "array", "maxItems": 5, "items": BINARY,
                            "description": "Up to 5 files (the part repeated): photos (JPEG, PNG, HEIC; at most 5 MB) "
                            "and PDF documents (at most 10 MB, not encrypted)"},
            "photo": {**BINARY, "description": "One photo (older apps); counts towards the 5"},
        },
        "additionalProperties": {"type": "string"},
    },
}

PARAMETERS = {
    "ComplaintId": {"name": "complaint_id", "in": "path", "required": True, "schema": ID},
    "TaskId": {"name": "task_id", "in": "path", "required": True, "schema": ID},
    "AttachmentId": {"name": "attachment_id", "in": "path", "required": True, "schema": ID},
    "PersonId": {"name": "person_id", "in": "path", "required": True, "schema": ID},
    "IfNoneMatch": {
        "name": "If-None-Match",
        "in": "header",
        "required": False,
        "description": "The ETag of the copy the app keeps: 304 when it is still this file",
        "schema": {"type": "string"},
    },
    "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "Any unique string per complaint (a UUID). Retrying with the same key and body returns the first "
        "complaint (201, with `Idempotent-Replayed: true`) instead of lodging another; the same key with another body is 422.",
        "schema": {"type": "string", "pattern": f"^[!-~]{{1,{MAX_KEY_LENGTH}}}$"},
        "example": "6f1c1d2e-8a4b-4f7e-9a51-0d2f4b8c9e10",
    },
}

PROBLEM_CONTENT = {"application/problem+json": {"schema": ref("Problem")}}
RESPONSES = {
    "BadRequest": {"description": "The body or a parameter cannot be read (not JSON, not a number...).", "content": PROBLEM_CONTENT},
    "Unauthorized": {
        "description": "No token, or the token is unknown, expired or revoked.",
        "headers": {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}, "description": 'Bearer realm="..."'}},
        "content": PROBLEM_CONTENT,
    },
    "Forbidden": {"description": "Your role may not do this.", "content": PROBLEM_CONTENT},
    "NotFound": {"description": "It does not exist, or it is not yours to see (we do not say which).", "content": PROBLEM_CONTENT},
    "Conflict": {"description": "Somebody was first, or the complaint is not at this step.", "content": PROBLEM_CONTENT},
    "TooLarge": {"description": "The body is larger than 6 MB.", "content": PROBLEM_CONTENT},
    "UnsupportedMediaType": {
        "description": "The body's media type is not one this URL takes.",
        "headers": {"Accept-Post": {"schema": {"type": "string"}}},
        "content": PROBLEM_CONTENT,
    },
    "Invalid": {"description": "Some fields are wrong: `errors` says which and why.", "content": PROBLEM_CONTENT},
    "Incident": {
        "description": "The process failed at run time (a condition or script of its diagram): nothing was saved and "
        "the process analysts have been told. `type` ends in `/problems/incident`; `reference` is the incident's "
        "reference to quote. Retry later.",
        "content": PROBLEM_CONTENT,
    },
    "TooManyRequests": {
        "description": "Over the rate limit: wait `Retry-After` seconds.",
        "headers": {"Retry-After": {"required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"}}},
        "content": PROBLEM_CONTENT,
    },
}
