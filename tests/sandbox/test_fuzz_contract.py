"""The sandbox keeps the contract under an OpenAPI fuzzer (Schemathesis), over real HTTP.

Every operation of ``openapi.yaml`` gets a few generated requests (deterministic, bounded so
the whole run adds seconds, not minutes) against a sandbox of its own: no 5xx, and every
status, content type, header and body as the contract says. Not checked here:
``negative_data_rejection`` / ``positive_data_acceptance`` (the sandbox follows REFERENCE.md's
server rules where they are looser or stricter than the schema's patterns — RFCs in lower
case are upper-cased, repeated webhook events collapsed), and ``ignored_auth`` (covered by
the sandbox's own auth tests).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks

from tests.support.paths import OPENAPI_PATH
from webapp.sandbox.server import SandboxServer, start_sandbox

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 4


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[SandboxServer]:
    """A sandbox of its own: the fuzzer deletes and changes things other tests rely on."""
    server = start_sandbox(test_mode=True)
    yield server
    server.shutdown()


def _operations() -> list:
    schema = schemathesis.openapi.from_path(str(OPENAPI_PATH))
    return [result.ok() for result in schema.get_all_operations()]


def test_every_operation_answers_as_the_contract_says(fuzzed):
    key = fuzzed.key("partner_test")
    failures: list[str] = []
    statuses: list[int] = []
    operations = _operations()
    assert len(operations) >= 60

    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def exercise(case) -> None:
            response = case.call(
                base_url=fuzzed.api_url, timeout=10, headers={"Authorization": f"Bearer {key}"}
            )
            statuses.append(response.status_code)
            case.validate_response(response, checks=CHECKS)

        try:
            exercise()
        except Exception as failure:  # noqa: BLE001 — collected, reported together below
            failures.append(f"{operation.label}: {str(failure)[:600]}")
    assert not failures, "\n\n".join(failures)
    # it really ran: several requests per operation, answered both ways
    assert len(statuses) >= 2 * len(operations)
    assert any(s < 300 for s in statuses) and any(400 <= s < 500 for s in statuses)
