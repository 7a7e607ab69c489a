"""Running the stand-in under uvicorn: in the foreground (the CLI) or on a background thread
(tests, benchmarks, notebooks)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from router.fake_gemini._app import FakeGeminiApp, FakeGeminiOptions, create_app

#: uvicorn's complaint when the app drops a response on purpose (the ``cut`` fault).
_CUT_MESSAGE = "ASGI callable returned without completing response."


class _HideCuts(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != _CUT_MESSAGE


_HIDE_CUTS = _HideCuts()


def _quiet_cuts() -> None:
    logging.getLogger("uvicorn.error").addFilter(_HIDE_CUTS)  # adding twice is a no-op


def _config(app: FakeGeminiApp, host: str, port: int, log_level: str, access_log: bool) -> Any:
    import uvicorn

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
        lifespan="on",
        timeout_graceful_shutdown=2,
        timeout_keep_alive=30,
        backlog=2048,
    )


def run_server(
    options: FakeGeminiOptions,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    log_level: str = "info",
    access_log: bool = False,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve in the foreground until interrupted; ``on_ready(url)`` runs once listening."""
    import uvicorn

    _quiet_cuts()
    config = _config(create_app(options), host, port, log_level, access_log)

    class _Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            if on_ready is not None and self.started:
                on_ready(_bound_url(self, host))

    _Server(config).run()


def _bound_url(server: Any, host: str) -> str:
    sock = server.servers[0].sockets[0]
    bound_host, bound_port = sock.getsockname()[:2]
    shown = host if host not in ("0.0.0.0", "::") else bound_host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{bound_port}"


class BackgroundServer:
    """The stand-in served by uvicorn on a daemon thread; a context manager.

    ``url`` is the base URL to give the SDK (``HttpOptions(base_url=...)``); ``app`` exposes the
    recorded requests and the fault book; :meth:`stop` shuts the server down and joins the thread.
    Port 0 (the default) picks a free port.
    """

    def __init__(
        self,
        options: FakeGeminiOptions | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        import uvicorn

        _quiet_cuts()
        self.app = create_app(options)
        self._server = uvicorn.Server(_config(self.app, host, port, log_level, False))
        self._host = host
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        self._thread = threading.Thread(target=self._server.run, name="fake-gemini", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the fake Gemini server did not start")
            time.sleep(0.01)
        self.url = _bound_url(self._server, self._host)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout)
        self._thread = None

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
