"""The fiscal address as gigstack writes it (REFERENCE §12.1, Address): all strings, all
optional, in the order the API returns them."""

from __future__ import annotations

ADDRESS_FIELDS = (
    "country",
    "street",
    "exterior",
    "interior",
    "neighborhood",
    "municipality",
    "city",
    "state",
    "zip",
)
