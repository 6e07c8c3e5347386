"""Staff forms: create, edit, set a password, filter the list. The view fills the team choices."""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    Field,
    PasswordField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, ValidationError

from webapp.auth.passwords import MAX_LENGTH, MIN_LENGTH, PasswordRejected, check_new_password
from webapp.auth.roles import Role
from webapp.forms import BackofficeForm, FilterForm, email_field, required_text
from webapp.i18n import lazy_gettext as _l
from webapp.shell.context import ROLE_LABELS

ALL_TEAMS = "all"
SOME_TEAMS = "some"
ROLE_CHOICES = [SelectChoice(role.value, ROLE_LABELS[role.value]) for role in Role]


def password_problem(password: str, email: str | None) -> Any:
    """Why ``password`` is refused (translated), or None; the rules stay in auth.passwords."""
    try:
        check_new_password(password, email)
    except PasswordRejected:
        if len(password) < MIN_LENGTH:
            return _l("The password needs at least %(count)s characters.", count=MIN_LENGTH)
        if len(password) > MAX_LENGTH:
            return _l("The password may have at most %(count)s characters.", count=MAX_LENGTH)
        return _l("The password cannot be the email.")
    return None


class _Password:
    """The new password, typed twice. ``password_email`` is the account it is for."""

    password_email: str | None = None

    def validate_password(self, field: Field) -> None:
        problem = password_problem(field.data or "", self.password_email)
        if problem is not None:
            raise ValidationError(problem)


def _password_fields() -> tuple[PasswordField, PasswordField]:
    # PasswordField never renders its value: a form sent back with errors is empty here
    return (
        PasswordField(
            _l("New password"),
            validators=[DataRequired(_l("Type a password."))],
            description=_l("At least %(count)s characters, and not the email.", count=MIN_LENGTH),
        ),
        PasswordField(
            _l("Repeat the password"),
            validators=[
                DataRequired(_l("Type the password again.")),
                EqualTo("password", _l("The two passwords do not match.")),
            ],
        ),
    )


class _Access:
    """Role and team limits, shared by create and edit."""

    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=Role.VIEWER.value)
    teams_mode = RadioField(
        _l("Teams"),
        default=ALL_TEAMS,
        choices=[
            SelectChoice(ALL_TEAMS, _l("All teams the API key reaches")),
            SelectChoice(SOME_TEAMS, _l("Only the teams selected below")),
        ],
    )
    teams = SelectMultipleField(_l("Selected teams"), choices=[])

    def validate_teams(self, field: Field) -> None:
        if self.teams_mode.data == SOME_TEAMS and not field.data:
            raise ValidationError(_l("Choose at least one team, or allow all teams."))

    def team_ids(self) -> list[str] | None:
        """What ``Staff.team_ids`` becomes: None for every team, else the ids chosen."""
        if self.teams_mode.data != SOME_TEAMS:
            return None
        return list(dict.fromkeys(self.teams.data or []))


def _name_field() -> StringField:
    return required_text(_l("Name"), _l("Type the staff member's name."), 120)


class StaffCreateForm(_Access, _Password, BackofficeForm):
    email = email_field(
        _l("Email"), _l("Type the email address."), _l("That does not look like an email address.")
    )
    name = _name_field()
    password, confirm = _password_fields()

    def validate_password(self, field: Field) -> None:
        self.password_email = self.email.data
        super().validate_password(field)


class StaffEditForm(_Access, BackofficeForm):
    name = _name_field()
    active = BooleanField(_l("Active (may sign in)"))


class PasswordForm(_Password, BackofficeForm):
    password, confirm = _password_fields()


class StaffFilterForm(FilterForm):
    q = SearchField(_l("Name or email"))
    role = SelectField(
        _l("Role"),
        validate_choice=False,
        choices=[SelectChoice("", _l("All roles")), *ROLE_CHOICES],
    )
