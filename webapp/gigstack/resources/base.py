"""Shared plumbing for resource groups: team binding, list parameters, safe path segments."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import IO, TYPE_CHECKING, Any, Literal, TypedDict, Unpack

from ..errors import NotFound
from ..pagination import DEFAULT_MAX_PAGES, Page
from ..timestamps import to_unix_seconds

if TYPE_CHECKING:
    from ..client import GigstackClient, Transform

Item = dict[str, Any]
TimeBound = datetime | date | int | float
Upload = bytes | bytearray | memoryview | IO[bytes]


class ListParams(TypedDict, total=False):
    """Paging/sorting parameters every list accepts (REFERENCE §1.8)."""

    limit: int
    next: str
    sort: Literal["asc", "desc"]
    order_by: Literal["timestamp", "name"]
    created_gte: TimeBound
    created_lte: TimeBound


LIST_PARAM_NAMES = frozenset(ListParams.__annotations__)


def list_query(params: Mapping[str, Any], **filters: Any) -> dict[str, Any]:
    """Build the query of a list call; ``created_gte`` → ``created[gte]`` in Unix seconds.

    Unknown keyword names raise TypeError so a typo does not silently list everything.
    """
    unknown = set(params) - LIST_PARAM_NAMES
    if unknown:
        raise TypeError(f"unknown list parameter(s): {', '.join(sorted(unknown))}")
    query: dict[str, Any] = {}
    for name in ("limit", "next", "sort", "order_by"):
        if params.get(name) is not None:
            query[name] = params[name]
    if params.get("created_gte") is not None:
        query["created[gte]"] = to_unix_seconds(params["created_gte"])
    if params.get("created_lte") is not None:
        query["created[lte]"] = to_unix_seconds(params["created_lte"])
    for name, value in filters.items():
        if value is not None:
            query[name] = value
    return query


# an object id of any kind — ``client_Ab3…``, ``wh_…``, a fiscal UUID, an older Firebase
# uid: letters, digits, ``_`` and ``-``, at most 128
ID_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")


def seg(value: str) -> str:
    """An object id as one URL path segment; anything else names no object and is
    :class:`NotFound` before any call (``""``, ``" "`` or ``"."`` would otherwise reach the
    list route: ``/clients/.`` is ``/clients``)."""
    text = "" if value is None else str(value)
    if not ID_SHAPE.fullmatch(text):
        raise NotFound("no object has an id of that shape", code="resource_not_found")
    return text


def read_upload(content: Upload) -> bytes:
    """Bytes of an upload given as bytes or a binary file object (read once, so retries work)."""
    if isinstance(content, bytes | bytearray | memoryview):
        return bytes(content)
    if hasattr(content, "read"):
        data = content.read()
        if isinstance(data, str):
            raise TypeError("open upload files in binary mode")
        return bytes(data)
    raise TypeError(f"cannot upload a {type(content).__name__}")


def compact(**fields: Any) -> dict[str, Any]:
    """A JSON body without the fields left as None."""
    return {k: v for k, v in fields.items() if v is not None}


class Resource:
    """A group of endpoints; ``team`` is the Connect team bound by ``client.for_team``.

    Every group lists, iterates and gets on ``path``; ``transform`` (``normalize_invoice``…)
    applies to every object it reads, and a group whose list has filters overrides
    :meth:`_list_query`.
    """

    path = ""
    transform: Transform | None = None

    def __init__(self, client: GigstackClient, team: str | None = None) -> None:
        self._client = client
        self._default_team = team

    def __repr__(self) -> str:
        return f"<{type(self).__name__} team={self._default_team!r}>"

    def _team(self, team: str | None) -> str | None:
        return team if team is not None else self._default_team

    def _call(self, method: str, path: str, *, team: str | None = None, **how: Any) -> Any:
        """:meth:`GigstackClient.call` for this group's team (``how``: params, json, files,
        data, transform)."""
        return self._client.call(method, path, team=self._team(team), **how)

    def _page(
        self,
        path: str,
        params: Mapping[str, Any],
        team: str | None,
        transform: Transform | None = None,
    ) -> Page:
        return self._client.page(path, params, team=self._team(team), transform=transform)

    def _iter(
        self,
        path: str,
        params: Mapping[str, Any],
        team: str | None,
        max_pages: int = DEFAULT_MAX_PAGES,
        transform: Transform | None = None,
    ) -> Iterator[Item]:
        return self._client.iter(
            path, params, team=self._team(team), transform=transform, max_pages=max_pages
        )

    def _list_query(self, **params: Unpack[ListParams]) -> tuple[str, dict[str, Any]]:
        """The path and query of a list: ``limit``, ``next``, ``sort``, ``order_by``,
        ``created_gte``/``_lte``, plus the group's own filters where it overrides this."""
        return self.path, list_query(params)

    def list(self, *filters: Any, team: str | None = None, **params: Any) -> Page:
        """One page; the arguments are :meth:`_list_query`'s (filters, then list parameters)."""
        path, query = self._list_query(*filters, **params)
        return self._page(path, query, team, self.transform)

    def iter(
        self,
        *filters: Any,
        team: str | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
        **params: Any,
    ) -> Iterator[Item]:
        """Every item across pages (same arguments as :meth:`list`)."""
        path, query = self._list_query(*filters, **params)
        return self._iter(path, query, team, max_pages, self.transform)

    def get(self, id: str, *, team: str | None = None) -> Item:
        """One object by id."""
        return self._call("GET", f"{self.path}/{seg(id)}", team=team, transform=self.transform)


class CrudResource(Resource):
    """list / iter / get / create / update / delete on ``/<path>`` and ``/<path>/{id}``."""

    def create(self, data: Mapping[str, Any], *, team: str | None = None) -> Item:
        """Create from a JSON body; retried only when it carries an ``idempotency_key``."""
        return self._call("POST", self.path, team=team, json=dict(data), transform=self.transform)

    def update(self, id: str, data: Mapping[str, Any], *, team: str | None = None) -> Item:
        """Partial update: omitted fields stay, ``None`` clears (REFERENCE §1.13)."""
        return self._call(
            "PUT", f"{self.path}/{seg(id)}", team=team, json=dict(data), transform=self.transform
        )

    def delete(self, id: str, *, team: str | None = None) -> Item:
        """Delete; returns ``{id, deleted: True}``."""
        return self._call("DELETE", f"{self.path}/{seg(id)}", team=team)
