"""Seeded invoices, payments and receipts (filled in by the documents work)."""

from __future__ import annotations

import random
from typing import Any

from .store import Store


def seed_documents(store: Store, rng: random.Random, teams: list[dict[str, Any]], *,
                   scale: int, anchor: int) -> None:
    """Create the demo documents for ``teams``; deterministic for a given ``rng``."""
    return None
