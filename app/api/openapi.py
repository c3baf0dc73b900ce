"""The OpenAPI 3.1 document of /api/v1, written by hand and checked against the routes by the tests.

Served as /api/v1/openapi.json and rendered as the docs page /api/v1/docs.
"""
from __future__ import annotations

from .openapi_schemas import ID, PARAMETERS, RESPONSES, SCHEMAS, ref

PROBLEM_NAMES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    413: "TooLarge",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "Incident",  # the only 500 the operations document: a process that failed at run time
}
PUBLIC: list = []
PHOTO_TYPES = "image/jpeg, image/png, image/heic, image/heif"  # `security: []`: no token needed

COMPLAINT_EXAMPLE = {
    "category_id": 12,
    "district_id": 27,
    "subject": "Broken streetlight",
    "description": "The streetlight in front of house 12 has been broken for three weeks.",
    "address": "House 12, Gulbahar, Peshawar",
    "latitude": 34.0151,
    "longitude": 71.5249,
}
TOKEN_EXAMPLE = {
    "token": "Zx1m0n7u3cY2rQk2f3bq6m4d9yS8vT1wP0aL5hJ7kE4",
    "token_type": "Bearer",
    "expires_at": "2026-12-31T09:30:00+00:00",
    "user": {
        "id": 42,
        "role": "citizen",
        "role_label": "Citizen",
        "full_name": "Bilal Ahmad",
        "username": None,
        "cnic": "1730112345671",
        "mobile": "03001234567",
        "mobile_confirmed": True,
        "email": None,
        "language": "en",
        "district": {"id": 27, "name": "Peshawar"},
        "division": {"id": 5, "name": "Peshawar"},
        "department": None,
        "created_at": "2026-12-01T09:30:00+00:00",
    },
}

CODE_SENT_EXAMPLE = {"detail": "We sent a code by SMS to this number. ...", "mobile": "0300•••4567"}


def problems(*codes: int) -> dict:
    return {str(code): {"$ref": f"#/components/responses/{PROBLEM_NAMES[code]}"} for code in codes}


def json_body(schema_name: str, example: dict | None = None) -> dict:
    content = {"schema": ref(schema_name)}
    if example is not None:
        content["example"] = example
    return {"required": True, "content": {"application/json": content}}


def answer(description: str, schema_name: str | None = None, *, example=None, headers=None, media="application/json") -> dict:
    response = {"description": description}
    if schema_name:
        response["content"] = {media: {"schema": ref(schema_name)}}
        if example is not None:
            response["content"][media]["example"] = example
    if headers:
        response["headers"] = headers
    return response


def operation(operation_id: str, tag: str, summary: str, responses: dict, **more) -> dict:
    return {"operationId": operation_id, "tags": [tag], "summary": summary, **more, "responses": responses}


def param(name: str) -> dict:
    return {"$ref": f"#/components/parameters/{name}"}


BINARY_CONTENT = {"schema": {"type": "string", "format": "binary"}}
FILE_HEADERS = {
    "ETag": {"required": True, "schema": {"type": "string"}, "description": "The file's content hash, quoted"},
    "Cache-Control": {"required": True, "schema": {"type": "string"},
                      "description": "`private, max-age=3600`: only the reader's own app or browser keeps it"},
}
NO_STORE_HEADER = {"Cache-Control": {"required": True, "schema": {"type": "string"},
                                     "description": "`no-store`: personal data, never kept in a cache"}}
LOCATION = {"Location": {"required": True, "schema": {"type": "string"}, "description": "The created resource's URL"}}

PATHS = {
    "/auth/register": {
        "post": operation(
            "register", "Account", "Register as a citizen",
            description="Creates a citizen account and sends a 6-digit code by SMS to its number. The answer is the same "
            "when the CNIC or number is already registered (then no account is made and the owner is told by SMS), so "
            "it never tells a stranger who is registered. Next: sign in with the CNIC and password (`POST /auth/token`) "
            "and confirm the number with the code (`POST /me/mobile/confirmation`); complaints can be lodged once it is "
            "confirmed. `language` defaults to the request's (Accept-Language). "
            "Rate-limited per IP address, and codes per number and address (429).",
            security=PUBLIC,
            requestBody=json_body(
                "Registration",
                {"full_name": "Bilal Ahmad", "cnic": "17301-1234567-1", "mobile": "0300-1234567", "district_id": 27,
                 "password": "a long passphrase", "language": "ur"},
            ),
            responses={
                "202": answer("Accepted: a code is on its way to the number", "CodeSent", example=CODE_SENT_EXAMPLE),
                **problems(400, 413, 415, 422, 429),
            },
        )
    },
    "/auth/token": {
        "post": operation(
            "signIn", "Account", "Sign in: get a bearer token",
            description="The token expires after the configured lifetime (30 days by default) or when revoked by signing out. "
            "Tries are counted per account, however the login is written, and per IP address: after 5 wrong "
            "passwords in a row each try makes the next wait, 30 seconds doubling up to 15 minutes (429 with "
            "Retry-After, also for the right password). A blocked or deactivated account gets 403. Staff with a second "
            "factor also send `totp`, the code of their authenticator app: without it, or with a wrong one, 401 with "
            "`second_factor` = `code_required` or `code_wrong`; 403 with `not_set_up` when it must first be set up on "
            "the website. Codes are rate-limited per account and address (429).",
            security=PUBLIC,
            requestBody=json_body("SignIn", {"login": "17301-1234567-1", "password": "a long passphrase"}),
            responses={
                "200": answer("Signed in", "Token", example=TOKEN_EXAMPLE),
                **problems(400, 401, 403, 413, 415, 422, 429),
            },
        ),
        "delete": operation(
            "signOut", "Account", "Sign out: revoke this token",
            responses={"204": {"description": "Revoked; the token no longer works"}, **problems(401)},
        ),
    },
    "/me": {
        "get": operation("me", "Account", "My account", responses={"200": answer("The signed-in account", "Account"), **problems(401)}),
        "patch": operation(
            "changeMe", "Account", "Change my language, e-mail or SMS notices",
            description="Send only what changes. `email` (null removes it) and `sms_notices` are for citizens (staff get "
            "403: their administrator keeps their details). `sms_notices` switches notices on or off by SMS; they "
            "always come in-app, and codes and security warnings always come by SMS.",
            requestBody=json_body("AccountChanges", {"language": "ps", "sms_notices": {"complaint_assigned": False}}),
            responses={"200": answer("The account as it is now", "Account"), **problems(400, 401, 403, 413, 415, 422)},
        ),
    },
    "/me/password": {
        "post": operation(
            "changePassword", "Account", "Change my password",
            description="Needs the current password; its tries have growing delays per account and a limit per "
            "address (429 with Retry-After). The new password: at least 10 characters (12 for staff), not a common "
            "password, not easy to guess (422 on `new_password` says why). Signs out every browser and revokes every other token of the account; this token stays.",
            requestBody=json_body("PasswordChange", {"current_password": "a long passphrase",
                                                     "new_password": "another long passphrase"}),
            responses={"204": {"description": "Changed"}, **problems(400, 401, 413, 415, 422, 429)},
        )
    },
    "/me/mobile": {
        "post": operation(
            "changeMobile", "Account", "Send a code to a (new) mobile number",
            description="Citizens only. Sends a 6-digit code by SMS to the number; it becomes the account's number "
            "when confirmed (`POST /me/mobile/confirmation`), and until then the account keeps its own. The same "
            "answer when the number belongs to another account (its owner is told by SMS). Also sends a new code for "
            "the number waiting for one (after registering). Codes are rate-limited per number, account and address.",
            requestBody=json_body("MobileChange", {"mobile": "0345-7654321"}),
            responses={
                "202": answer("Accepted: a code is on its way to the number", "CodeSent", example=CODE_SENT_EXAMPLE),
                **problems(400, 401, 403, 413, 415, 422, 429),
            },
        )
    },
    "/me/mobile/confirmation": {
        "post": operation(
            "confirmMobile", "Account", "Confirm the waiting mobile number with its code",
            description="Citizens only. A code lives 15 minutes and allows 5 tries; tries are also rate-limited per "
            "account and address (429 with Retry-After). A wrong, expired or used-up code is 422 on `code`.",
            requestBody=json_body("MobileConfirmation", {"code": "482913"}),
            responses={"200": answer("Confirmed: the account with its number", "Account"),
                       **problems(400, 401, 403, 413, 415, 422, 429)},
        )
    },
    "/me/export": {
        "get": operation(
            "exportMyData", "Account", "Download everything the portal holds about me",
            description="Citizens only (staff get 403). The account, complaints with their timelines and files, "
            "messages, supported complaints, signed-in browsers and phones; staff appear by role only. Recorded.",
            responses={"200": answer("My data", "MyData", headers=NO_STORE_HEADER), **problems(401, 403)},
        )
    },
    "/people/{person_id}/personal-data": {
        "post": operation(
            "revealPersonalData", "Complaints", "Show a citizen's whole CNIC or mobile number (recorded)",
            description="Staff whose scope holds the citizen (a complaint of theirs they may read; a Deputy "
            "Commissioner's district; administrators) get the value; who, whose, which, when and why are recorded "
            "for the administrators. Citizens and analysts get 403; a citizen outside the caller's scope is 404.",
            parameters=[param("PersonId")],
            requestBody=json_body("RevealRequest", {"field": "mobile", "reason": "contact", "complaint_id": 1042}),
            responses={"200": answer("The value", "RevealedData", headers=NO_STORE_HEADER),
                       **problems(400, 401, 403, 404, 413, 415, 422)},
        )
    },
    "/districts": {
        "get": operation(
            "districts", "Look-ups", "Districts", security=PUBLIC,
            responses={"200": answer("All districts, by name", "DistrictList",
                                     example={"items": [{"id": 27, "code": "PSH", "name": "Peshawar", "division": {"id": 5, "name": "Peshawar"}}]})},
        )
    },
    "/departments": {
        "get": operation("departments", "Look-ups", "Departments", security=PUBLIC,
                         responses={"200": answer("All departments, by name", "DepartmentList")})
    },
    "/categories": {
        "get": operation(
            "categories", "Look-ups", "Complaint categories", security=PUBLIC,
            parameters=[{"name": "department_id", "in": "query", "required": False, "description": "Only this department's",
                         "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}],
            responses={"200": answer("Categories, by department", "CategoryList"), **problems(400)},
        )
    },
    "/complaints": {
        "post": operation(
            "submitComplaint", "Complaints", "Lodge a complaint",
            description="Citizens only, once their mobile number is confirmed (403 before). "
            "multipart/form-data (with up to 5 `photos`; `photo` for one) or JSON (no photo). "
            "Photos are kept upright, at most 2048 px, as JPEG and without any metadata (GPS included). "
            "Send an `Idempotency-Key` so that a retry after a lost answer never lodges a second complaint. "
            "Rate-limited per citizen (a replay is not counted). "
            "500 (an incident problem with its `reference`): the complaint's process failed at its start; nothing "
            "was kept (the Idempotency-Key is not used up) and the process analysts were told: try again later.",
            parameters=[param("IdempotencyKey")],
            requestBody={
                "required": True,
                "content": {
                    "multipart/form-data": {"schema": ref("NewComplaintWithPhoto"),
                                            "encoding": {"photo": {"contentType": PHOTO_TYPES},
                                                         "photos": {"contentType": PHOTO_TYPES}}},
                    "application/json": {"schema": ref("NewComplaint"), "example": COMPLAINT_EXAMPLE},
                },
            },
            responses={
                "201": answer(
                    "Lodged (or, with a used Idempotency-Key, the complaint that key lodged)", "ComplaintDetail",
                    headers={**LOCATION, "Idempotent-Replayed": {"schema": {"type": "string", "const": "true"},
                                                                  "description": "Present on a replay"}},
                ),
                **problems(400, 401, 403, 413, 415, 422, 429, 500),
            },
        ),
        "get": operation(
            "myComplaints", "Complaints", "My complaints, newest first",
            description="Citizens only.",
            parameters=[
                {"name": "page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1}},
                {"name": "per_page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
                {"name": "status", "in": "query", "required": False, "description": "`open` is every status but closed",
                 "schema": {"type": "string", "enum": ["open", "submitted", "in_progress", "resolved", "systemic", "closed"]}},
                {"name": "q", "in": "query", "required": False,
                 "description": "Search: a tracking number (`KP-2612-0000123`, any case, spaces allowed) lists that "
                 "complaint; other text lists the complaints whose subject or description holds every word "
                 "(as whole words). Combined with `status`.",
                 "schema": {"type": "string", "maxLength": 200}, "example": "streetlight"},
            ],
            responses={"200": answer("One page", "ComplaintPage"), **problems(400, 401, 403)},
        ),
    },
    "/complaints/similar": {
        "get": operation(
            "similarComplaints", "Complaints", "Before lodging: open complaints that may be the same one",
            description="Citizens only. Open complaints of the category in the caller's own district, lodged by "
            "someone else: within 200 m of the pin (`latitude` and `longitude`), or without a pin at the same "
            "`address` or locality. At most 5, nearest (or newest) first; only subject, date and status. Show them "
            "before lodging: the citizen can add their voice to one (`support_url`) instead of lodging it again.",
            parameters=[
                {"name": "category_id", "in": "query", "required": True, "schema": ID},
                {"name": "latitude", "in": "query", "required": False, "description": "With longitude, or neither",
                 "schema": {"type": "number", "minimum": -90, "maximum": 90}},
                {"name": "longitude", "in": "query", "required": False,
                 "schema": {"type": "number", "minimum": -180, "maximum": 180}},
                {"name": "address", "in": "query", "required": False, "description": "Used when there is no pin",
                 "schema": {"type": "string", "maxLength": 300}},
            ],
            responses={"200": answer("Candidates (possibly none)", "CandidateList"), **problems(400, 401, 403)},
        )
    },
    "/complaints/{complaint_id}/support": {
        "post": operation(
            "supportComplaint", "Complaints", "Add my voice to an existing complaint",
            description="Citizens only, for an open complaint of their own district lodged by someone else. "
            "Counted once per citizen: 201 the first time, 200 after. The citizen is told in-app when it is "
            "resolved. 403 for one's own complaint, 409 for a closed one.",
            parameters=[param("ComplaintId")],
            responses={
                "201": answer("Added", "Support"),
                "200": answer("Already added before", "Support"),
                **problems(401, 403, 404, 409),
            },
        )
    },
    "/complaints/{complaint_id}": {
        "get": operation(
            "complaint", "Complaints", "One complaint, its timeline and its current step",
            description="Citizens read their own; staff those in their scope (district, division, province).",
            parameters=[param("ComplaintId")],
            responses={"200": answer("The complaint", "ComplaintDetail"), **problems(401, 404)},
        )
    },
    "/complaints/{complaint_id}/rating": {
        "post": operation(
            "rateComplaint", "Complaints", "Rate the resolution",
            description="When the complaint waits for the citizen's rating (`my_task` is the rating step). "
            "Satisfied closes it; not satisfied (with a comment) reopens it. Validated like the rating page.",
            parameters=[param("ComplaintId")],
            requestBody=json_body("Rating", {"rating": 4, "satisfied": True, "comment": "Fixed in two days, thank you."}),
            responses={
                "200": answer("Rated: the complaint as it is now", "ComplaintDetail"),
                **problems(400, 401, 403, 404, 409, 413, 415, 422, 500),
            },
        )
    },
    "/attachments/{attachment_id}": {
        "get": operation(
            "attachment", "Complaints", "A photo or document of a complaint",
            description="For those who may read the complaint. Photos are served to show; documents (PDF) as a "
            "download. The ETag is the file's content hash: send it back in If-None-Match for a 304.",
            parameters=[param("AttachmentId"), param("IfNoneMatch")],
            responses={
                "200": {"description": "The file", "headers": FILE_HEADERS,
                        "content": {"image/jpeg": BINARY_CONTENT, "image/png": BINARY_CONTENT,
                                    "application/pdf": BINARY_CONTENT}},
                "304": {"description": "Not modified: the copy with this ETag is current", "headers": FILE_HEADERS},
                **problems(401, 404),
            },
        )
    },
    "/attachments/{attachment_id}/thumbnail": {
        "get": operation(
            "attachmentThumbnail", "Complaints", "A photo's thumbnail (at most 320 px)",
            description="For lists. A photo stored before thumbnails existed answers with itself; a document is 404.",
            parameters=[param("AttachmentId"), param("IfNoneMatch")],
            responses={
                "200": {"description": "The thumbnail", "headers": FILE_HEADERS,
                        "content": {"image/jpeg": BINARY_CONTENT, "image/png": BINARY_CONTENT}},
                "304": {"description": "Not modified: the copy with this ETag is current", "headers": FILE_HEADERS},
                **problems(401, 404),
            },
        )
    },
    "/tasks": {
        "get": operation(
            "inbox", "Tasks", "My inbox: open tasks that are mine, oldest first",
            description="For the people who work complaints (and citizens' rating steps); analysts and administrators get 403.",
            responses={"200": answer("Open tasks", "TaskList"), **problems(401, 403)},
        )
    },
    "/tasks/{task_id}": {
        "get": operation(
            "task", "Tasks", "One task and its form's fields",
            description="`form.fields` describe what to send to complete it (the same form the web page shows).",
            parameters=[param("TaskId")],
            responses={"200": answer("The task", "TaskDetail"), **problems(401, 404)},
        )
    },
    "/tasks/{task_id}/completion": {
        "post": operation(
            "completeTask", "Tasks", "Complete a task",
            description="Send the form's fields (JSON, or multipart/form-data with up to 5 `attachments`, photos or PDF "
            "documents, when the form accepts them: `form.accepts_attachments`). "
            "Validated exactly as on the web page. 409 when somebody completed it first: `completed_by` says who.",
            parameters=[param("TaskId")],
            requestBody={
                "required": True,
                "content": {
                    "application/json": {"schema": ref("TaskInput"),
                                         "example": {"decision": "assign", "officer_id": 17, "instruction": "Please fix it this week."}},
                    "multipart/form-data": {"schema": ref("TaskInputWithPhoto")},
                },
            },
            responses={"200": answer("Completed; the process moved on", "Completion"),
                       **problems(400, 401, 404, 409, 413, 415, 422, 500)},
        )
    },
    "/openapi.json": {
        "get": operation("openapi", "About", "This document", security=PUBLIC,
                         responses={"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}})
    },
    "/docs": {
        "get": operation("docs", "About", "This document as a readable page", security=PUBLIC,
                         responses={"200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}})
    },
}

DESCRIPTION = """The Citizen's Portal's API for its smartphone app and for other government systems.

**Sign in** with `POST /auth/token` (after registering with `POST /auth/register`, sign in with the CNIC, then
confirm the mobile number with the code of the SMS: `POST /me/mobile/confirmation`) and send the token on every call as
`Authorization: Bearer <token>`. Tokens expire (30 days by default) and signing out revokes them. The session
cookie of the web pages is never accepted here.

**Errors** are always RFC 9457 problem details (`application/problem+json`) with `type`, `title`, `status` and
`detail`; 400 and 422 add `errors`, the messages for each field. Status codes: 400 unreadable request, 401 no or
bad token, 403 your role may not, 404 missing or not yours, 405 wrong method, 409 somebody was first, 413 too
large, 415 wrong media type, 422 invalid fields, 429 rate-limited (see `Retry-After`).

**Passwords** that no longer meet the rules (too short, common or easy to guess) still sign in, and the token
answer says `must_change_password: true`; until the password is changed with `POST /me/password`, every other
call but `GET /me` and `DELETE /auth/token` answers 403 with the problem `code` `password_change_required`.

**Retries**: send an `Idempotency-Key` header when lodging a complaint; repeating the request with the same key
returns the first complaint, never a second one."""


def document(server_url: str = "/api/v1") -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Citizen's Portal API", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "tags": [
            {"name": "Account", "description": "Register, sign in and out, my profile"},
            {"name": "Look-ups", "description": "What the forms offer to choose from"},
            {"name": "Complaints", "description": "A citizen's complaints"},
            {"name": "Tasks", "description": "Working complaints: the inbox and task forms"},
            {"name": "About", "description": "This description"},
        ],
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "From POST /auth/token"}},
            "schemas": SCHEMAS,
            "parameters": PARAMETERS,
            "responses": RESPONSES,
        },
    }
