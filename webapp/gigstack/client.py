"""The HTTP core: one pooled session, auth, timeouts, retries, breaker and error mapping.

Everything that talks to gigstack goes through :meth:`GigstackClient._execute`, so the rules
live in one place: a ``Bearer`` key on API calls and never on signed file URLs, per-attempt
timeouts cut to the call's remaining budget, retries only for calls that are safe to repeat,
the circuit breaker consulted before every attempt, and typed errors out. Resources
(``client.clients``, ``client.invoices``…) are thin wrappers that build paths and bodies.
"""

from __future__ import annotations

import json as jsonlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests
import urllib3
from requests.adapters import HTTPAdapter

from .breaker import CircuitBreaker
from .errors import (
    CircuitOpen,
    ConnectionFailed,
    GigstackError,
    Timeout,
    Unavailable,
    parse_error,
    parse_retry_after,
)
from .files import Download, filename_from
from .keys import KeyInfo, decode_key
from .pagination import DEFAULT_MAX_PAGES, Page, iter_items
from .redact import describe_multipart, describe_query, describe_url, redact
from .resources import Clients, Invoices, Payments, Receipts, Services, Teams, Users, Webhooks
from .retry import RETRY_STATUSES, RetryPolicy, is_retry_safe
from .timestamps import normalize_times, to_unix_seconds

log = logging.getLogger("webapp.gigstack")

DEFAULT_BASE_URL = "https://api.gigstack.io/v2"
DEFAULT_TIMEOUT: tuple[float, float] = (3.05, 10.0)
DEFAULT_BUDGET = 20.0
USER_AGENT = "gigstack-backoffice/0.1 python-requests"
NO_CONTENT = 204

Transform = Callable[[Any], Any]


class _Secret:
    """Holds the API key so that repr(), vars() dumps and tracebacks show ``***`` instead."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret ***>"

    __str__ = __repr__


def _strip_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """requests auth hook for signed URLs: no Authorization, whatever the session or netrc say."""
    request.headers.pop("Authorization", None)
    return request


def _read_environment_once(session: requests.Session, base_url: str) -> None:
    """requests re-reads proxy and CA settings from the environment on every call (~0.5 ms);
    read them once here instead, honouring the same variables (HTTPS_PROXY, NO_PROXY,
    REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE)."""
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return to_unix_seconds(value)
    return value


class _ResourceGroups:
    """The resource attributes shared by a client and its team-bound views."""

    clients: Clients
    services: Services
    invoices: Invoices
    payments: Payments
    receipts: Receipts
    teams: Teams
    users: Users
    webhooks: Webhooks

    def _attach(self, client: GigstackClient, team: str | None) -> None:
        self.clients = Clients(client, team)
        self.services = Services(client, team)
        self.invoices = Invoices(client, team)
        self.payments = Payments(client, team)
        self.receipts = Receipts(client, team)
        self.teams = Teams(client, team)
        self.users = Users(client, team)
        self.webhooks = Webhooks(client, team)


class GigstackClient(_ResourceGroups):
    """A client for the gigstack API v2; one instance per key (cheap to share across threads).

    Resource groups hang off the instance: ``clients``, ``services``, ``invoices``,
    ``payments``, ``receipts``, ``teams``, ``users``, ``webhooks``. ``for_team(id)`` gives the
    same groups bound to a Connect team.
    """

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: tuple[float, float] | float = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        budget_seconds: float = DEFAULT_BUDGET,
        breaker: CircuitBreaker | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        retry_policy: RetryPolicy | None = None,
        pool_maxsize: int = 20,
        user_agent: str = USER_AGENT,
        call_headers: Callable[[], Mapping[str, str]] | None = None,
        on_attempt: Callable[[float], None] | None = None,
        time_left: Callable[[], float | None] | None = None,
    ) -> None:
        if not api_key or not isinstance(api_key, str):
            raise ValueError("an API key is required")
        key = api_key.strip()
        if key.lower().startswith("bearer "):
            key = key[7:].strip()
        self._key = _Secret(key)
        self._key_info = decode_key(key)
        self.base_url = base_url.rstrip("/")
        if isinstance(timeout, int | float):
            timeout = (float(timeout), float(timeout))
        self.timeout: tuple[float, float] = (float(timeout[0]), float(timeout[1]))
        self.budget_seconds = float(budget_seconds)
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self._sleep = sleep
        self._clock = clock
        self.breaker = breaker or CircuitBreaker(clock=clock)
        self._headers = {"Accept": "application/json", "User-Agent": user_agent}
        # per-call hooks for the host app: extra headers (a request id) and an observer told
        # the wall time of every attempt (Server-Timing); neither ever sees the key
        self._call_headers = call_headers
        self._on_attempt = on_attempt
        # what is left of a larger budget (the web request's), which a call may not outlive
        self._time_left = time_left
        self._owns_session = session is None
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_maxsize, max_retries=0)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            _read_environment_once(session, self.base_url)
        self.session = session
        self._attach(self, None)

    # -- identity ---------------------------------------------------------------------------

    @property
    def key_info(self) -> KeyInfo:
        """team / livemode / key_id decoded from the key (never the key itself)."""
        return self._key_info

    @property
    def is_test(self) -> bool:
        """True for a test-mode key (REFERENCE §1.2 rule)."""
        return self._key_info.is_test

    def __repr__(self) -> str:
        return (
            f"<GigstackClient live={self._key_info.is_live} team={self._key_info.team!r} "
            f"url={self.base_url!r}>"
        )

    __str__ = __repr__

    def for_team(self, team_id: str) -> TeamScope:
        """The same API, with every call carrying ``?team=<team_id>`` (gigstack Connect)."""
        if not team_id:
            raise ValueError("team_id is required")
        return TeamScope(self, team_id)

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Release pooled connections (only when this client created the session)."""
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> GigstackClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- public request helpers -------------------------------------------------------------

    def ping(self, timeout: float) -> bool:
        """Whether gigstack answers a light authenticated call within ``timeout`` seconds.

        For readiness probes: one try, no retries, outside the breaker's accounting.
        """
        headers = dict(self._headers, Authorization=f"Bearer {self._key.reveal()}")
        try:
            response = self.session.get(
                self.base_url + "/teams",
                params={"limit": 1},
                headers=headers,
                timeout=(timeout, timeout),
            )
        except requests.exceptions.RequestException:
            return False
        return response.status_code < 400

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        team: str | None = None,
        retry: bool | None = None,
    ) -> dict[str, Any]:
        """Call ``method path`` and return the decoded envelope (raw, times untouched).

        ``retry`` forces or forbids retries; by default only safe calls are retried.
        """
        query = self._query(params, team)
        response = self._execute(
            method,
            self.base_url + "/" + path.lstrip("/"),
            log_target=path + describe_query(query),
            params=query,
            json=json,
            files=files,
            data=data,
            authenticated=True,
            retry=retry,
        )
        if response.status_code == NO_CONTENT and method.upper() == "DELETE":
            # HTTP's plain success for a delete: the object is gone, as the envelope would say
            return {"data": {"id": path.rstrip("/").rsplit("/", 1)[-1], "deleted": True}}
        return self._envelope(response)

    def call(
        self, method: str, path: str, *, transform: Transform | None = None, **how: Any
    ) -> Any:
        """Call and return the envelope's ``data`` with times normalised (single objects).

        ``how`` is :meth:`request`'s: ``params``, ``json``, ``files``, ``data``, ``team``,
        ``retry``; ``transform`` applies to the object returned.
        """
        body = self.request(method, path, **how)
        if body.get("data") is None:
            raise Unavailable(
                "gigstack answered without the object asked for", code="empty_response"
            )
        result = normalize_times(body.get("data"))
        return transform(result) if transform is not None and result is not None else result

    def page(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        team: str | None = None,
        transform: Transform | None = None,
    ) -> Page:
        """GET a list endpoint and return one :class:`Page` (times normalised, nulls dropped)."""
        body = self.request("GET", path, params=params, team=team)

        def convert(item: Any) -> Any:
            item = normalize_times(item)
            return transform(item) if transform is not None else item

        return Page.from_envelope(body, convert)

    def iter(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        team: str | None = None,
        transform: Transform | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> Iterator[dict[str, Any]]:
        """Yield items across pages, following ``next`` until a stop rule fires."""
        base = {k: v for k, v in (params or {}).items() if k != "next"}
        start = (params or {}).get("next") or None

        def fetch(cursor: str | None) -> Page:
            query = dict(base)
            if cursor:
                query["next"] = cursor
            return self.page(path, query, team=team, transform=transform)

        return iter_items(fetch, start, max_pages=max_pages)

    def download(self, url: str) -> Download:
        """GET a signed file URL without the Authorization header (the URL is the credential)."""
        target = describe_url(url)
        response = self._execute("GET", url, log_target=target, authenticated=False, retry=True)
        content_type = response.headers.get("Content-Type", "application/octet-stream")
        return Download(
            content=response.content,
            content_type=content_type.split(";")[0].strip(),
            filename=filename_from(response.headers.get("Content-Disposition"), url),
        )

    # -- internals --------------------------------------------------------------------------

    @staticmethod
    def _query(params: Mapping[str, Any] | None, team: str | None) -> dict[str, Any]:
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        if team:
            query["team"] = team
        return query

    def _envelope(self, response: requests.Response) -> dict[str, Any]:
        """The decoded envelope; an empty or non-JSON answer (a proxy's login page, a cut
        connection) is :class:`Unavailable`: there is nothing a view could show."""
        raw = response.content
        if not raw.strip():
            raise Unavailable(
                "gigstack answered with an empty body",
                code="empty_response",
                status=response.status_code,
            )
        try:
            body = orjson.loads(raw)  # its JSONDecodeError is a ValueError
        except ValueError:
            raise Unavailable(
                "gigstack answered with something that is not JSON",
                code="invalid_response",
                status=response.status_code,
            ) from None
        if not isinstance(body, dict):
            return {"data": body}
        if body.get("success") is False:
            err = parse_error(response.status_code, body, response.headers)
            err.scrub(self._key.reveal())
            raise err
        return body

    def _log_body(self, method: str, target: str, json: Any, files: Any, data: Any) -> None:
        if not log.isEnabledFor(logging.DEBUG):
            return
        if files or data:
            parts = describe_multipart(files, data)
            log.debug("gigstack %s %s multipart: %s", method, target, parts)
        elif json is not None:
            text = jsonlib.dumps(redact(json), default=str, ensure_ascii=False)
            log.debug("gigstack %s %s body: %s", method, target, text[:1000])

    def _execute(
        self,
        method: str,
        url: str,
        *,
        log_target: str,
        authenticated: bool,
        retry: bool | None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> requests.Response:
        """Send with retries, budget and breaker; return a 2xx/3xx response or raise."""
        method = method.upper()
        safe = is_retry_safe(method, json) if retry is None else retry
        secret = self._key.reveal()
        headers = dict(self._headers)
        if authenticated:
            if self._call_headers is not None:
                headers.update(self._call_headers())
            headers["Authorization"] = f"Bearer {secret}"
        else:
            headers["Accept"] = "*/*"
        budget = self.budget_seconds
        outer = self._time_left() if self._time_left is not None else None
        if outer is not None:
            budget = min(budget, outer)
        deadline = self._clock() + budget
        self._log_body(method, log_target, json, files, data)

        attempt = 0
        last_error: GigstackError | None = None
        while True:
            attempt += 1
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise last_error or Timeout(
                    f"gigstack {method} {log_target}: time budget of {max(budget, 0):g} s used up"
                )
            try:
                self.breaker.before_call()
            except CircuitOpen:
                log.info("gigstack %s %s refused: circuit open", method, log_target)
                if last_error is not None:
                    raise last_error from None
                raise
            per_try = (min(self.timeout[0], remaining), min(self.timeout[1], remaining))
            started = time.perf_counter()
            error: GigstackError
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params or None,
                    json=json if not (files or data) else None,
                    files=files,
                    data=data,
                    headers=headers,
                    timeout=per_try,
                    auth=None if authenticated else _strip_auth,
                    stream=True,
                )
                self._read_within(response, deadline)
            except requests.exceptions.Timeout as exc:
                self.breaker.record_failure()
                error = Timeout(
                    f"gigstack {method} {log_target} did not answer within {per_try[1]:g} s"
                )
                # Signed file URLs carry their signature in the query: keep the cause off them.
                error.__cause__ = exc if authenticated else None
                self._log_attempt(method, log_target, "timeout", started, attempt, logging.WARNING)
            except (
                requests.exceptions.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ) as exc:
                self.breaker.record_failure()
                host = urlsplit(url).netloc
                error = ConnectionFailed(
                    f"could not reach gigstack at {host} ({type(exc).__name__})"
                )
                error.__cause__ = exc if authenticated else None
                self._log_attempt(
                    method, log_target, "connection error", started, attempt, logging.WARNING
                )
            except requests.exceptions.RequestException as exc:
                self.breaker.release()
                self._log_attempt(method, log_target, type(exc).__name__, started, attempt)
                raise GigstackError(
                    f"could not send gigstack {method} {log_target}: {type(exc).__name__}",
                    code="request_error",
                ) from None
            except BaseException:
                self.breaker.release()
                raise
            else:
                status = response.status_code
                if status >= 500:
                    self.breaker.record_failure()
                elif status == 429:  # alive, but asking us to stop: repeated, it opens too
                    self.breaker.record_failure(parse_retry_after(response.headers))
                else:
                    self.breaker.record_success()
                level = logging.WARNING if status >= 500 or status == 429 else logging.INFO
                self._log_attempt(method, log_target, status, started, attempt, level)
                if status < 400:
                    return response
                error = parse_error(status, response.content, response.headers)
                error.scrub(secret)
                if status not in RETRY_STATUSES:
                    raise error

            if not safe:
                raise error
            remaining = deadline - self._clock()
            delay = self.retry_policy.delay_for(attempt - 1, error.retry_after, remaining)
            if delay is None:
                raise error
            log.debug(
                "gigstack %s %s: retrying in %.2f s after %s", method, log_target, delay, error.code
            )
            last_error = error
            self._sleep(delay)

    def _read_within(self, response: requests.Response, deadline: float) -> None:
        """Read the whole body before ``deadline``: a server that drips bytes cannot hold a
        call (and a server thread) past its budget. Each read waits at most what is left."""
        raw = response.raw
        chunks: list[bytes] = []
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                response.close()
                raise requests.exceptions.ReadTimeout("the body did not arrive within the budget")
            sock = getattr(getattr(raw, "connection", None), "sock", None)
            if sock is not None:
                sock.settimeout(min(self.timeout[1], remaining))
            try:
                chunk = raw.read1(64 * 1024, decode_content=True)
            except (urllib3.exceptions.ReadTimeoutError, TimeoutError) as exc:
                response.close()
                raise requests.exceptions.ReadTimeout(str(exc)) from None
            except (
                urllib3.exceptions.ProtocolError,
                urllib3.exceptions.DecodeError,
                OSError,
            ) as exc:
                response.close()
                raise requests.exceptions.ChunkedEncodingError(str(exc)) from None
            if not chunk:
                break
            chunks.append(chunk)
        # what requests itself does once it has read a body: later .content is these bytes
        response._content = b"".join(chunks)
        raw.release_conn()

    def _log_attempt(
        self,
        method: str,
        target: str,
        outcome: int | str,
        started: float,
        attempt: int,
        level: int = logging.INFO,
    ) -> None:
        elapsed = time.perf_counter() - started
        if self._on_attempt is not None:
            self._on_attempt(elapsed)
        elapsed_ms = elapsed * 1000
        log.log(
            level,
            "gigstack %s %s -> %s in %.0f ms (attempt %d)",
            method,
            target,
            outcome,
            elapsed_ms,
            attempt,
            extra={
                "gigstack_method": method,
                "gigstack_path": target,
                "gigstack_status": outcome,
                "gigstack_ms": round(elapsed_ms, 1),
                "gigstack_attempt": attempt,
            },
        )


class TeamScope(_ResourceGroups):
    """A light view of a client whose calls all carry one Connect ``team``.

    Shares the parent's session, breaker and settings; create one per request freely.
    """

    def __init__(self, client: GigstackClient, team: str) -> None:
        self.client = client
        self.team = team
        self._attach(client, team)

    @property
    def key_info(self) -> KeyInfo:
        """The parent client's decoded key claims."""
        return self.client.key_info

    def __repr__(self) -> str:
        return f"<TeamScope team={self.team!r} of {self.client!r}>"
