"""Helpers of the API tests: a bearer-token client, problem and contract assertions."""
from __future__ import annotations

import io
import re
from functools import lru_cache

import schemathesis
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import stream_encode_multipart

from app.api.openapi import document

PREFIX = "/api/v1"


class ApiClient:
    def __init__(self, client, token_of, token: str | None = None):
        self.client, self.token_of, self.token = client, token_of, token

    def as_(self, user) -> ApiClient:
        return ApiClient(self.client, self.token_of, self.token_of(user))

    def with_token(self, token: str) -> ApiClient:
        return ApiClient(self.client, self.token_of, token)

    def headers(self, extra=None) -> dict:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    def get(self, path, **kwargs):
        return self.client.get(PREFIX + path, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path, **kwargs):
        return self.client.post(PREFIX + path, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def patch(self, path, **kwargs):
        return self.client.patch(PREFIX + path, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def delete(self, path, **kwargs):
        return self.client.delete(PREFIX + path, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def post_multipart(self, path, fields: dict, photo: bytes | None = None, *, files=(), headers=None):
        """A multipart body encoded in memory (the test client would spool a big one to a file it never closes).

        `photo`: one file in the `photo` part; `files`: (part, file name, bytes), a part may repeat.
        """
        data = MultiDict({k: str(v) for k, v in fields.items()})
        if photo is not None:
            data["photo"] = FileStorage(io.BytesIO(photo), filename="photo.jpg", content_type="image/jpeg")
        for part, filename, content in files:
            declared = "application/pdf" if filename.endswith(".pdf") else "image/jpeg"
            data.add(part, FileStorage(io.BytesIO(content), filename=filename, content_type=declared))
        stream, length, boundary = stream_encode_multipart(data, use_tempfile=False)
        return self.client.post(
            PREFIX + path,
            input_stream=stream,
            content_length=length,
            content_type=f'multipart/form-data; boundary="{boundary}"',
            headers=self.headers(headers),
        )


def assert_problem(response, status: int, *, field: str | None = None) -> dict:
    """An RFC 9457 document with this status (and an error for `field`)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if field is not None:
        assert body["errors"][field], body
    return body


@lru_cache(maxsize=1)
def api_schema():
    return schemathesis.openapi.from_dict(document())


def template_of(path: str) -> str:
    """The document's path template that `path` (under /api/v1, without a query) matches."""
    path = path.removeprefix(PREFIX).split("?", 1)[0]
    for template in document()["paths"]:
        if re.fullmatch(re.sub(r"\{[^}]+\}", r"[^/]+", template), path):
            return template
    raise AssertionError(f"{path} is not in the OpenAPI document")


def assert_documented(response) -> None:
    """The response's status, media type, headers and body are what the document says for its operation."""
    request = response.request
    operation = api_schema()[template_of(request.path)][request.method]
    operation.validate_response(response)
