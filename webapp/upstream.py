"""Where the dashboard's API calls go: the real gigstack API or the built-in sandbox.

One :class:`Upstream` per process, holding one pooled client. With ``GIGSTACK_API_KEY`` set
it points at the real API and the sandbox never starts; without it, it uses a sandbox that is
already running (``GIGSTACK_SANDBOX_URL``, e.g. started by gunicorn's master) or starts one
in-process on a loopback port.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from webapp.gigstack import GigstackClient, KeyInfo, decode_key
from webapp.observability import record_upstream, time_left, upstream_headers

log = logging.getLogger(__name__)


@dataclass
class Upstream:
    """The API client plus what the UI must say about it (sandbox? test mode?)."""

    client: GigstackClient
    base_url: str
    is_sandbox: bool
    key_info: KeyInfo
    sandbox: Any = None  # the in-process SandboxServer, when this process started one

    @property
    def livemode(self) -> bool:
        return self.key_info.is_live

    @property
    def label(self) -> str:
        """Short description for logs and the start-up banner (never the key)."""
        where = "built-in sandbox" if self.is_sandbox else "gigstack API"
        mode = "live" if self.livemode else "test"
        return f"{where} at {self.base_url} ({mode} key, team {self.key_info.team})"

    def close(self) -> None:
        self.client.close()
        if self.sandbox is not None:
            self.sandbox.shutdown()


def start_embedded_sandbox(
    port: int = 0, scale: int = 1, key_name: str = "partner_test", teams: int = 0
) -> tuple[Any, str, str]:
    """Start the sandbox in this process; returns (server, api_url, demo key)."""
    from webapp.sandbox import start_sandbox

    server = start_sandbox("127.0.0.1", port, scale=scale, teams=teams)
    return server, server.api_url, server.key(key_name)


def build_upstream(config: dict[str, Any]) -> Upstream:
    """Pick the target from settings and build the one client of this process."""
    api_key = config.get("GIGSTACK_API_KEY")
    sandbox = None
    if api_key:
        base_url, key, is_sandbox = config["GIGSTACK_API_URL"], api_key, False
    elif config.get("GIGSTACK_SANDBOX_URL") and config.get("GIGSTACK_SANDBOX_KEY"):
        base_url, key = config["GIGSTACK_SANDBOX_URL"], config["GIGSTACK_SANDBOX_KEY"]
        is_sandbox = True
    else:
        sandbox, base_url, key = start_embedded_sandbox(
            config.get("SANDBOX_PORT", 0),
            config.get("SANDBOX_SCALE", 1),
            config.get("SANDBOX_KEY_NAME", "partner_test"),
            config.get("SANDBOX_TEAMS", 0),
        )
        is_sandbox = True
    client = GigstackClient(
        key,
        base_url=base_url,
        timeout=(
            config.get("GIGSTACK_TIMEOUT_CONNECT", 3.05),
            config.get("GIGSTACK_TIMEOUT_READ", 10.0),
        ),
        budget_seconds=config.get("GIGSTACK_BUDGET_SECONDS", 20.0),
        pool_maxsize=config.get("GIGSTACK_POOL_MAXSIZE", 32),
        call_headers=upstream_headers,
        on_attempt=record_upstream,
        time_left=time_left,
    )
    upstream = Upstream(
        client=client,
        base_url=base_url,
        is_sandbox=is_sandbox,
        key_info=decode_key(key),
        sandbox=sandbox,
    )
    log.info("dashboard upstream: %s", upstream.label)
    return upstream
