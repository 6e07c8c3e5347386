"""The audit log: who did what, to which team and object, when, with what outcome and why."""

from .details import Detail, enum, enums
from .record import audited, record

__all__ = ["Detail", "audited", "enum", "enums", "record"]
