"""The router's exception tree.

Every error the service raises on purpose derives from :class:`RouterError`; one exception
handler maps them to an HTTP status and Gemini's error shape
``{"error": {"code", "message", "status"}}`` (OpenAI's shape on the OpenAI-compatible route)::

    RouterError                      500 INTERNAL
    ├── InvalidRequest               400 INVALID_ARGUMENT   (the client's mistake)
    │   ├── InvalidThinking          400 INVALID_ARGUMENT   (a thinking setting the model rejects)
    │   └── PayloadTooLarge          413 INVALID_ARGUMENT
    ├── Unauthenticated              401 UNAUTHENTICATED
    ├── PermissionDenied             403 PERMISSION_DENIED  (e.g. not an admin key)
    ├── UnknownModel                 404 NOT_FOUND
    ├── NotFound                     404 NOT_FOUND          (e.g. an unknown request id)
    ├── RateLimited                  429 RESOURCE_EXHAUSTED (this router's own limits)
    ├── ModelNotLoaded               503 UNAVAILABLE        (no classifier artefact)
    ├── UpstreamNotConfigured        503 UNAVAILABLE        (no API key and no upstream URL)
    ├── StoreNotConfigured           503 UNAVAILABLE        (no request log and feedback store)
    └── UpstreamError                502 UNAVAILABLE        (Gemini failed after retries)
        ├── UpstreamRateLimited      429 RESOURCE_EXHAUSTED
        └── UpstreamTimeout          504 DEADLINE_EXCEEDED

Third-party exceptions are converted with ``raise ... from exc`` where they are caught.
"""

from __future__ import annotations


class RouterError(Exception):
    """Base of every error the router raises on purpose."""

    http_status: int = 500
    status: str = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(RouterError):
    http_status = 400
    status = "INVALID_ARGUMENT"


class InvalidThinking(InvalidRequest):
    """A thinking setting outside what the model accepts (the API answers 400 to these)."""


class PayloadTooLarge(InvalidRequest):
    http_status = 413


class Unauthenticated(RouterError):
    http_status = 401
    status = "UNAUTHENTICATED"


class PermissionDenied(RouterError):
    http_status = 403
    status = "PERMISSION_DENIED"


class UnknownModel(RouterError):
    http_status = 404
    status = "NOT_FOUND"


class NotFound(RouterError):
    http_status = 404
    status = "NOT_FOUND"


class RateLimited(RouterError):
    http_status = 429
    status = "RESOURCE_EXHAUSTED"

    def __init__(self, message: str, retry_after_s: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ModelNotLoaded(RouterError):
    http_status = 503
    status = "UNAVAILABLE"


class UpstreamNotConfigured(RouterError):
    http_status = 503
    status = "UNAVAILABLE"


class StoreNotConfigured(RouterError):
    http_status = 503
    status = "UNAVAILABLE"


class UpstreamError(RouterError):
    http_status = 502
    status = "UNAVAILABLE"


class UpstreamRateLimited(UpstreamError):
    http_status = 429
    status = "RESOURCE_EXHAUSTED"


class UpstreamTimeout(UpstreamError):
    http_status = 504
    status = "DEADLINE_EXCEEDED"


# --- the error bodies, as the OpenAPI schema declares them ------------------------------------

_REQUEST_ID_HEADER = {
    "x-router-request-id": {
        "description": "the request's id (also named in the error message)",
        "required": True,
        "schema": {"type": "string"},
    }
}

GEMINI_ERROR_SCHEMA = {
    "type": "object",
    "title": "GeminiError",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "status"],
            "properties": {
                "code": {"type": "integer", "description": "the HTTP status"},
                "message": {"type": "string"},
                "status": {"type": "string", "description": "e.g. INVALID_ARGUMENT, NOT_FOUND, UNAVAILABLE"},
            },
        }
    },
}

OPENAI_ERROR_SCHEMA = {
    "type": "object",
    "title": "OpenAIError",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "type", "param", "code"],
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string", "description": "e.g. invalid_request_error, not_found_error"},
                "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]},
            },
        }
    },
}

_SERVER_ERRORS = {
    502: "the upstream failed after retries",
    503: "no classifier loaded, no upstream configured, or no store (feedback)",
    504: "the upstream did not answer in time",
}


def error_responses(
    *server_statuses: int, openai: bool = False, client: dict[int, str] | None = None
) -> dict[int | str, dict[str, object]]:
    """FastAPI ``responses`` for an operation's errors: any client error (``4XX``, and the
    ``client`` statuses the operation names with their meaning) and the server errors it can
    answer (``server_statuses``), each in Gemini's error shape (OpenAI's with ``openai``) with
    the ``x-router-request-id`` header. Documentation only: nothing at run time reads it."""
    content = {"application/json": {"schema": OPENAI_ERROR_SCHEMA if openai else GEMINI_ERROR_SCHEMA}}
    responses: dict[int | str, dict[str, object]] = {
        status: {"description": description, "content": content} for status, description in (client or {}).items()
    }
    responses["4XX"] = {
        "description": "refused: an invalid request, unknown model or path, missing key, body too large, rate limited",
        "content": content,
    }
    for status in server_statuses:
        responses[status] = {"description": _SERVER_ERRORS[status], "content": content}
    for response in responses.values():
        response["headers"] = _REQUEST_ID_HEADER
    return responses
