"""A faithful, stateful simulator of the gigstack API v2 (see shared/gigstack-api)."""

from .app import create_sandbox_app
from .server import SandboxServer, demo_keys, start_sandbox

__all__ = ["SandboxServer", "create_sandbox_app", "demo_keys", "start_sandbox"]
