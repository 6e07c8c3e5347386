"""What a kind of job is: how it lists its items, does one, and ends (makes its files).

A kind is registered once (``register``) and found by name when a worker takes a job. The
machinery (:mod:`webapp.jobs.runner`) owns everything else: the lease, the threads, gigstack's
limits, pauses and retries, per-item results and counts, the audit rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .models import FAILED, OK, SKIPPED

if TYPE_CHECKING:
    from .models import Job
    from .runner import Work


@dataclass(frozen=True)
class Planned:
    """An item a job will do: ``key`` is unique in the job (an invoice's UUID)."""

    key: str
    label: str = ""
    team: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Item:
    """An item as a worker reads it back (its ``idempotency_key`` is the same on every try)."""

    id: int
    key: str
    label: str
    team: str | None
    data: dict[str, Any]
    attempts: int
    idempotency_key: str


@dataclass(frozen=True)
class Outcome:
    status: str
    message: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def ok(**data: Any) -> Outcome:
    return Outcome(OK, None, data)


def skipped(why: str, **data: Any) -> Outcome:
    return Outcome(SKIPPED, why, data)


def failed(message: str, **data: Any) -> Outcome:
    return Outcome(FAILED, message, data)


class JobKind:
    """Subclass and register one per kind of work."""

    name = ""
    # the lowest role that may start it (checked again by the worker before each run)
    role = "viewer"
    # items a worker does at once for one team (each holds one of the team's call slots)
    threads: int | None = None
    # may run with nobody signed in (the periodic upkeep starts it): read-only kinds only
    unattended = False

    def title(self, job: Job) -> str:
        """What the job is, in the viewer's language (lists, the widget)."""
        raise NotImplementedError

    def plan(self, work: Work) -> Iterable[Planned]:
        """The items to do, listed once (a job taken over mid-list lists them again)."""
        raise NotImplementedError

    def run_item(self, work: Work, item: Item) -> Outcome:
        """Do one item; gigstack's errors may be raised (the runner retries or records them)."""
        raise NotImplementedError

    def finish(self, work: Work) -> None:
        """After the last item: make the job's files (may run again if interrupted)."""


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    KINDS[kind.name] = kind
    return kind


def kind_of(job: Job) -> JobKind:
    if job.kind not in KINDS:
        load_kinds()
    return KINDS[job.kind]


def load_kinds() -> None:
    """Import the modules that register kinds (a worker needs them all)."""
    from webapp.bulk import jobs as _bulk  # noqa: F401
    from webapp.bulk import pending as _pending  # noqa: F401
    from webapp.month import job as _month  # noqa: F401
    from webapp.search import subscribe as _hooks  # noqa: F401
    from webapp.search import sync as _search  # noqa: F401
