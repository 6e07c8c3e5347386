"""What a new staff password must be (long enough, not the email)."""

from __future__ import annotations

MIN_LENGTH = 12
MAX_LENGTH = 1024


class PasswordRejected(ValueError):
    """The password does not meet the rules; the message says which."""


def check_new_password(password: str, email: str | None = None) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"the password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"the password may have at most {MAX_LENGTH} characters")
    if email and password.strip().lower() == email.strip().lower():
        raise PasswordRejected("the password cannot be the email")
