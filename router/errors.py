"""The router's exception tree.

Every error the service raises on purpose derives from :class:`RouterError`; one exception
handler maps them to an HTTP status and Gemini's error shape
``{"error": {"code", "message", "status"}}`` (OpenAI's shape on the OpenAI-compatible route)::

    RouterError                      500 INTERNAL
    ├── InvalidRequest               400 INVALID_ARGUMENT   (the client's mistake)
    │   ├── InvalidThinking          400 INVALID_ARGUMENT   (a thinking setting the model rejects)
    │   └── PayloadTooLarge          413 INVALID_ARGUMENT
    ├── Unauthenticated              401 UNAUTHENTICATED
    ├── UnknownModel                 404 NOT_FOUND
    ├── NotFound                     404 NOT_FOUND          (e.g. an unknown request id)
    ├── RateLimited                  429 RESOURCE_EXHAUSTED (this router's own limits)
    ├── ModelNotLoaded               503 UNAVAILABLE        (no classifier artefact)
    ├── UpstreamNotConfigured        503 UNAVAILABLE        (no API key and no upstream URL)
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


class UpstreamError(RouterError):
    http_status = 502
    status = "UNAVAILABLE"


class UpstreamRateLimited(UpstreamError):
    http_status = 429
    status = "RESOURCE_EXHAUSTED"


class UpstreamTimeout(UpstreamError):
    http_status = 504
    status = "DEADLINE_EXCEEDED"
