"""The service's settings: one pydantic-settings class, read from ``BUDGET_ROUTER_*`` variables.

Nothing else in the project reads ``os.environ``: :func:`router.app.create_app` takes a
:class:`Settings` (tests build one directly), and the ``serve`` command builds one from the
environment plus its flags. The Gemini API key is read from ``GEMINI_API_KEY`` or
``GOOGLE_API_KEY`` (also ``BUDGET_ROUTER_GEMINI_API_KEY``) and kept as a :class:`SecretStr`, so
it is never logged or echoed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from router.policy import DEFAULT_POLICY


class Settings(BaseSettings):
    """Everything the service can be told at start-up.

    ``upstream_url`` ``None`` means the real Gemini API (which then needs ``gemini_api_key``);
    set it to another server that speaks the Gemini REST API, such as the offline stand-in. ``api_keys``
    are the keys clients must present (``x-goog-api-key``, ``?key=`` or ``Authorization: Bearer``);
    empty means no client authentication. ``admin_api_keys`` open the admin endpoints (``/admin/``,
    and ``/metrics`` when ``metrics_require_admin``); none means they are closed.

    Limits: ``max_body_bytes`` (413), ``max_prompt_tokens`` (400; the prompt's size is estimated
    from its characters and media parts, as for cost estimates) and ``max_concurrent_per_key`` (429 with
    ``Retry-After``; counted per process, see :mod:`router.limits`).

    Storage: ``database_url`` is the request log and feedback store (SQLAlchemy URL). The default,
    ``sqlite:///budget_router.db``, is an SQLite file named ``budget_router.db`` in the working
    directory the service is started from (WAL mode); give an absolute path
    (``sqlite:////var/lib/budget-router/log.db``) or a ``postgresql://`` URL (several replicas)
    in production. ``prompt_storage`` ``"hash"`` keeps only the SHA-256 of each prompt, never its
    text. Request rows wait in a queue of ``log_queue_size`` rows for the writer thread (beyond
    it rows are dropped and counted, never blocking a request).

    Models: ``model_path`` is a models directory (default: the shipped ``models/``); when it holds
    a ``CURRENT`` pointer (``budget-router retrain`` promotes by switching it) the version it names
    is served, and the service checks it every ``model_reload_interval_s`` seconds (0: never),
    loading a promoted model without a restart. ``stand_in`` marks every logged request as
    answered by the offline stand-in (``serve --with-fake-gemini`` sets it), so retraining ignores
    that traffic.
    """

    model_config = SettingsConfigDict(
        env_prefix="BUDGET_ROUTER_",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    upstream_url: str | None = None
    policy: str = DEFAULT_POLICY
    catalog_path: Path | None = None
    model_path: Path | None = None
    #: The request log and feedback store: an SQLite file (relative to the working directory) or PostgreSQL.
    database_url: str = Field(default="sqlite:///budget_router.db", repr=False)
    #: "full" stores each prompt's text (as the classifier read it) and its hash; "hash" the hash only.
    prompt_storage: Literal["full", "hash"] = "full"
    #: Request rows queued for the writer thread at most (further rows are dropped and counted).
    log_queue_size: int = Field(default=10_000, ge=1)
    #: Seconds between checks of the models directory for a promoted model (0: no reloading).
    model_reload_interval_s: float = Field(default=5.0, ge=0)
    #: The upstream is the offline stand-in: logged requests are marked so, and retraining skips them.
    stand_in: bool = False
    api_keys: Annotated[frozenset[str], NoDecode] = Field(default=frozenset(), repr=False)
    #: Keys for the admin endpoints (/admin/...); empty: the admin endpoints answer 403.
    admin_api_keys: Annotated[frozenset[str], NoDecode] = Field(default=frozenset(), repr=False)
    #: /metrics asks for an admin key too (off: anyone who reaches the port can scrape it).
    metrics_require_admin: bool = False
    #: Requests in flight per client key at most (0: no limit); one more is answered 429 with Retry-After.
    max_concurrent_per_key: int = Field(default=256, ge=0)
    request_timeout_s: float = Field(default=120.0, gt=0)
    #: Retries of one model (on 429, 5xx, timeouts and connection errors) before its fallbacks.
    max_retries: int = Field(default=2, ge=0, le=10)
    retry_base_delay_s: float = Field(default=0.25, ge=0)
    retry_max_delay_s: float = Field(default=4.0, ge=0)
    #: Upper bound on one request's time across retries and fallbacks.
    total_deadline_s: float = Field(default=300.0, gt=0)
    #: Read HTTP(S)_PROXY / NO_PROXY and .netrc for upstream calls (off: it costs two thread hops a call).
    upstream_trust_env: bool = False
    #: Most simultaneous upstream connections (0: no limit).
    upstream_max_connections: int = Field(default=0, ge=0)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    #: Characters of the newest user turn the classifier reads (head and tail are kept).
    max_prompt_chars: int = Field(default=20_000, gt=0)
    #: Largest prompt accepted, in estimated tokens (4 characters a token); 0: the routed model's context window.
    max_prompt_tokens: int = Field(default=0, ge=0)
    #: Seconds a stopping server waits for requests in flight (streams included) before it cancels them.
    shutdown_grace_s: float = Field(default=30.0, gt=0)
    gemini_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("GEMINI_API_KEY", "GOOGLE_API_KEY", "BUDGET_ROUTER_GEMINI_API_KEY"),
        repr=False,
    )

    @field_validator("upstream_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"upstream_url must start with http:// or https://, got {value!r}")
        return value

    @field_validator("api_keys", "admin_api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):  # "k1,k2" from the environment
            return frozenset(k.strip() for k in value.split(",") if k.strip())
        return value

    @property
    def upstream_configured(self) -> bool:
        """True when proxy calls have somewhere to go: a key for Gemini, or an upstream URL."""
        return self.upstream_url is not None or self.gemini_api_key is not None
