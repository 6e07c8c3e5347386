"""The audit log: who did what, to which team and object, when, with what outcome and why."""

from .record import audited, record

__all__ = ["audited", "record"]
