"""Roles and what each may do: admin > operator > viewer."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # everything, including staff management
    OPERATOR = "operator"  # read, create, edit, cancel, refund (destructive asks a reason)
    VIEWER = "viewer"  # read only

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANK = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}
ROLES: tuple[str, ...] = tuple(role.value for role in Role)
