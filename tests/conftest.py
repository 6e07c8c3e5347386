"""Shared fixtures: a real sandbox on loopback (contract-checked), keys, raw HTTP, the client.

Every sandbox response in the whole suite is validated against the OpenAPI contract; a test
during which a violation happened fails (see ``_contract_guard``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.support.contract import ContractMiddleware, ContractRecorder
from tests.support.s3 import S3Server, moto_server
from tests.support.stored import StoredState
from webapp.sandbox.server import SandboxServer, start_sandbox

# A fixed "now" for anything date-sensitive (the valid SAT test CSD expires 2027-05-18).
FROZEN_NOW = 1780000000  # 2026-05-28T20:26:40Z


@pytest.fixture(scope="session")
def contract_recorder() -> ContractRecorder:
    return ContractRecorder()


@pytest.fixture(scope="session")
def sandbox(contract_recorder: ContractRecorder) -> Iterator[SandboxServer]:
    """One seeded sandbox in test mode for the session, behind the contract checker."""
    server = start_sandbox(test_mode=True)
    server.app.wsgi_app = ContractMiddleware(server.app.wsgi_app, contract_recorder)
    yield server
    server.shutdown()


@pytest.fixture(autouse=True)
def _contract_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test if any sandbox answer (or client request) broke the contract."""
    if "sandbox" not in request.fixturenames:
        yield
        return
    recorder: ContractRecorder = request.getfixturevalue("contract_recorder")
    recorder.take()
    yield
    violations = recorder.take()
    if violations:
        pytest.fail("OpenAPI contract violations:\n" + "\n".join(violations), pytrace=False)


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    """A real S3-compatible server (moto's, in its own process) for the session; each test
    makes a bucket of its own (``s3.new_bucket()``)."""
    with moto_server() as server:
        yield server


@pytest.fixture
def stored(sandbox: SandboxServer) -> StoredState:
    """``stored("invoices", team, status="valid")``: what the sandbox stores (copies), read
    from its store; ``stored.one(…)``, ``stored.team(id)``, ``stored.series(id)``,
    ``stored.users(email=…)`` (see :mod:`tests.support.stored`)."""
    return StoredState(sandbox.store)


@pytest.fixture
def reset_sandbox(sandbox: SandboxServer) -> SandboxServer:
    """A freshly re-seeded sandbox (for tests that need pristine demo data)."""
    requests.post(f"{sandbox.origin}/_sandbox/reset", timeout=30).raise_for_status()
    return sandbox


@pytest.fixture
def restore_sandbox(sandbox: SandboxServer) -> Iterator[SandboxServer]:
    """For tests that change seeded teams (CSD, members, deletes): the seed comes back after."""
    yield sandbox
    requests.post(f"{sandbox.origin}/_sandbox/reset", timeout=30).raise_for_status()


@pytest.fixture
def faults(sandbox: SandboxServer) -> Iterator[Any]:
    """Set sandbox faults for one test: ``faults({"rules": [...]})``; cleared afterwards."""

    def apply(settings: dict[str, Any]) -> None:
        response = requests.put(f"{sandbox.origin}/_sandbox/faults", json=settings, timeout=5)
        response.raise_for_status()

    yield apply
    requests.delete(f"{sandbox.origin}/_sandbox/faults", timeout=5)


@pytest.fixture
def frozen_clock(sandbox: SandboxServer) -> Iterator[Any]:
    """Freeze the sandbox clock (default :data:`FROZEN_NOW`); unfrozen afterwards."""

    def freeze(now: int = FROZEN_NOW) -> int:
        requests.put(
            f"{sandbox.origin}/_sandbox/clock", json={"now": now}, timeout=5
        ).raise_for_status()
        return now

    freeze()
    yield freeze
    requests.put(f"{sandbox.origin}/_sandbox/clock", json={"now": None}, timeout=5)


@pytest.fixture(scope="session")
def keys(sandbox: SandboxServer) -> dict[str, dict[str, Any]]:
    """Demo keys by name: partner_test, partner_live, outsider_test, outsider_live."""
    return sandbox.keys()


class RawAPI:
    """Plain ``requests`` against the sandbox, for tests of the wire format itself."""

    def __init__(self, sandbox: SandboxServer, key: str) -> None:
        self.base = sandbox.api_url
        self.origin = sandbox.origin
        self.key = key
        self.session = requests.Session()

    def request(
        self, method: str, path: str, *, key: str | None = None, **kwargs: Any
    ) -> requests.Response:
        headers = kwargs.pop("headers", {})
        token = self.key if key is None else key
        if token:
            headers.setdefault("Authorization", f"Bearer {token}")
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.base + path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def raw(sandbox: SandboxServer, keys: dict[str, dict[str, Any]]) -> RawAPI:
    """Raw HTTP with the partner's test key."""
    return RawAPI(sandbox, keys["partner_test"]["key"])


@pytest.fixture
def raw_live(sandbox: SandboxServer, keys: dict[str, dict[str, Any]]) -> RawAPI:
    return RawAPI(sandbox, keys["partner_live"]["key"])


@pytest.fixture
def teams(sandbox: SandboxServer, keys: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Seeded team ids: partner, subs (seed order), outsider, eku (the CSD-less SAT taxpayer)."""
    store = sandbox.store
    partner = keys["partner_test"]["team"]
    outsider = keys["outsider_test"]["team"]
    seeded = [store.teams[i] for i in store.extras["seeded_team_ids"]]
    subs = [
        t["id"]
        for t in seeded
        if t["_billing"] == store.teams[partner]["_billing"] and t["id"] != partner
    ]
    eku = next(t["id"] for t in seeded if t["tax_id"] == "EKU9003173C9")
    return {"partner": partner, "outsider": outsider, "subs": subs, "eku": eku}


@pytest.fixture
def api(sandbox: SandboxServer, keys: dict[str, dict[str, Any]]):
    """The project's client library on the partner's test key."""
    from webapp.gigstack import GigstackClient

    client = GigstackClient(keys["partner_test"]["key"], base_url=sandbox.api_url)
    yield client
    client.close()


@dataclass(frozen=True)
class SandboxRequest:
    """One request as the sandbox received it."""

    method: str
    path: str
    query: str
    request_id: str | None

    @property
    def is_team_listing(self) -> bool:
        return self.method == "GET" and self.path.endswith("/v2/teams")


@pytest.fixture
def sandbox_requests(sandbox: SandboxServer) -> Iterator[list[SandboxRequest]]:
    """Every request the sandbox receives during the test, read on the sandbox's side."""
    seen: list[SandboxRequest] = []
    inner = sandbox.app.wsgi_app

    def recording(environ, start_response):
        seen.append(
            SandboxRequest(
                environ["REQUEST_METHOD"],
                environ["PATH_INFO"],
                environ.get("QUERY_STRING", ""),
                environ.get("HTTP_X_REQUEST_ID"),
            )
        )
        return inner(environ, start_response)

    sandbox.app.wsgi_app = recording
    yield seen
    sandbox.app.wsgi_app = inner
