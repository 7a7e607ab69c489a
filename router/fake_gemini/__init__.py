"""An offline stand-in for the Gemini API. It produces no real answers.

``budget-router fake-gemini`` serves it over HTTP; the real ``google-genai`` SDK works against it
unchanged (``HttpOptions(base_url=...)``). Tests, benchmarks and offline demos of the project run
against it, because nothing here may call the real Gemini API.

Routes, under both ``/v1beta`` and ``/v1``:

* ``POST /{ver}/models/{model}:generateContent``
* ``POST /{ver}/models/{model}:streamGenerateContent?alt=sse`` (``data: {json}\\r\\n\\r\\n`` events)
* ``POST /{ver}/models/{model}:countTokens``
* ``GET /{ver}/models`` (``pageSize``, ``pageToken``) and ``GET /{ver}/models/{model}``

and for tests: ``GET|DELETE /_fake/requests``, ``GET|POST|DELETE /_fake/faults``,
``POST /_fake/reset``.

Models are the catalog's (:mod:`router.catalog`); an unknown model answers 404 NOT_FOUND and a
thinking setting the catalog rejects 400 INVALID_ARGUMENT, in Gemini's error shape. Answers are
deterministic text starting ``[fake-gemini]`` with realistic ``usageMetadata`` (see
:mod:`router.fake_gemini._generate` for the rules). Faults (429/500/503 errors, delays, streams cut
mid-way) follow :data:`FAULT_SYNTAX`.

Example::

    from router.fake_gemini import BackgroundServer
    from google import genai
    from google.genai import types

    with BackgroundServer() as fake:
        client = genai.Client(api_key="test", http_options=types.HttpOptions(base_url=fake.url))
        client.models.generate_content(model="gemini-2.5-flash", contents="Hi")
"""

from router.fake_gemini._app import FakeGeminiApp, FakeGeminiOptions, create_app
from router.fake_gemini._faults import (
    FAULT_SYNTAX,
    Fault,
    FaultBook,
    FaultSpecError,
    fault_from_json,
    parse_faults,
)
from router.fake_gemini._server import BackgroundServer, run_server

__all__ = [
    "FAULT_SYNTAX",
    "BackgroundServer",
    "FakeGeminiApp",
    "FakeGeminiOptions",
    "Fault",
    "FaultBook",
    "FaultSpecError",
    "create_app",
    "fault_from_json",
    "parse_faults",
    "run_server",
]
