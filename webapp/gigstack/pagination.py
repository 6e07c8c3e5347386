"""List envelopes as pages, and iteration across pages that always ends.

A list call returns one :class:`Page`; ``iter_items`` follows ``next`` cursors. The stop rules
come from REFERENCE §1.8 / §13 #3: a server that repeats a cursor once made the official CLI loop
forever, so we stop on ``has_more`` false, on a missing or empty ``next``, on a cursor seen
before, and at a page cap.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, overload

log = logging.getLogger("webapp.gigstack")

DEFAULT_MAX_PAGES = 1000

Item = dict[str, Any]


@dataclass
class Page:
    """One page of a list: the items plus what the server said about the rest."""

    items: list[Item] = field(default_factory=list)
    has_more: bool = False
    total_results: int | None = None
    next: str | None = None

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> Item: ...

    @overload
    def __getitem__(self, index: slice) -> list[Item]: ...

    def __getitem__(self, index: int | slice) -> Item | list[Item]:
        return self.items[index]

    @property
    def next_cursor(self) -> str | None:
        """The cursor for the following page, or None when there is nothing more to ask for."""
        return self.next if self.has_more and self.next else None

    @classmethod
    def from_envelope(
        cls, body: Mapping[str, Any], transform: Callable[[Any], Any] | None = None
    ) -> Page:
        """Read ``{data, has_more, total_results, next}``; drops ``null`` items (§1.6)."""
        data = body.get("data")
        raw_items = data if isinstance(data, list) else []
        items = [item for item in raw_items if item is not None]
        if transform is not None:
            items = [transform(item) for item in items]
        total = body.get("total_results")
        next_cursor = body.get("next")
        return cls(
            items=items,
            has_more=bool(body.get("has_more")),
            total_results=total if isinstance(total, int) and not isinstance(total, bool) else None,
            next=next_cursor if isinstance(next_cursor, str) and next_cursor else None,
        )


def iter_pages(
    fetch: Callable[[str | None], Page],
    start: str | None = None,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Iterator[Page]:
    """Yield pages from ``fetch(cursor)`` until a stop rule fires."""
    cursor = start
    seen: set[str] = set()
    for number in range(1, max_pages + 1):
        page = fetch(cursor)
        yield page
        if not page.has_more:
            return
        if not page.next:
            log.debug("gigstack list stopped: has_more without next (page %d)", number)
            return
        if page.next in seen or page.next == cursor:
            log.warning("gigstack list stopped: cursor repeated on page %d", number)
            return
        if cursor:
            seen.add(cursor)
        seen.add(page.next)
        cursor = page.next
    log.warning("gigstack list stopped at the page cap (%d pages)", max_pages)


def iter_items(
    fetch: Callable[[str | None], Page],
    start: str | None = None,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Iterator[Item]:
    """Yield the items of every page :func:`iter_pages` fetches."""
    for page in iter_pages(fetch, start, max_pages=max_pages):
        yield from page.items
