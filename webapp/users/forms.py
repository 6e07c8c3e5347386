"""User forms: create (UserCreateInput), edit (UserUpdateInput, partial), list filters."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, SearchField, SelectField, StringField
from wtforms.validators import Length

from webapp.forms import BackofficeForm, CreateForm, FilterForm, email_field, strip
from webapp.i18n import lazy_gettext as _l
from webapp.teams.members import role_choices

PROFILE_FIELDS = ("first_name", "last_name", "phone", "company_role")
# how each profile field is read from a User object (the API emits camelCase names, §13 #37)
READ_AS = {
    "first_name": "firstName",
    "last_name": "lastName",
    "phone": "phone",
    "company_role": "company_role",
}


class _Profile:
    first_name = StringField(_l("First name"), filters=[strip], validators=[Length(max=120)])
    last_name = StringField(_l("Last name"), filters=[strip], validators=[Length(max=120)])
    phone = StringField(_l("Phone"), filters=[strip], validators=[Length(max=40)])
    company_role = StringField(_l("Job title"), filters=[strip], validators=[Length(max=120)])


class UserCreateForm(_Profile, CreateForm):
    email = email_field(_l("E-mail"), _l("Type the e-mail address."))
    auto_join = BooleanField(_l("Add to this team"), default=True)
    role = SelectField(_l("Role in this team"), choices=role_choices, default="viewer")

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"email": self.email.data}
        body.update(
            {name: getattr(self, name).data for name in PROFILE_FIELDS if getattr(self, name).data}
        )
        if self.auto_join.data:
            body.update(auto_join=True, role=self.role.data)
        return body


class UserEditForm(_Profile, BackofficeForm):
    def payload(self, user: dict[str, Any]) -> dict[str, Any]:
        """Only the changed fields; an emptied one is sent as ``null`` (cleared)."""
        body = {}
        for name in PROFILE_FIELDS:
            before = user.get(READ_AS[name]) or user.get(name) or ""
            after = getattr(self, name).data or ""
            if after != before:
                body[name] = after or None
        return body


def edit_data(user: dict[str, Any]) -> dict[str, Any]:
    return {name: user.get(READ_AS[name]) or user.get(name) or "" for name in PROFILE_FIELDS}


class UserFilterForm(FilterForm):
    q = SearchField(_l("Name or e-mail"), filters=[strip], validators=[Length(max=100)])
    role = SelectField(
        _l("Role"), validate_choice=False, choices=lambda: [("", _l("All roles")), *role_choices()]
    )
