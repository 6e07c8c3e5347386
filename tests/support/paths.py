"""Where the shared contract and SAT test files are: ``shared/`` beside the repo."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
OPENAPI_PATH = SHARED / "gigstack-api" / "openapi.yaml"
CATALOGS_DIR = SHARED / "gigstack-api" / "catalogs"
SAT_CERTS = SHARED / "sat-test-certs"


def cert_bytes(name: str) -> bytes:
    """Bytes of a file in ``shared/sat-test-certs``."""
    return (SAT_CERTS / name).read_bytes()


def cert_password() -> str:
    return (SAT_CERTS / "password.txt").read_text(encoding="utf-8")
