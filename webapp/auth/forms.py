"""Sign-in form."""

from __future__ import annotations

from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

from webapp.forms import EMAIL_SHAPE, BackofficeForm
from webapp.i18n import lazy_gettext as _l


class SignInForm(BackofficeForm):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(_l("Type your email.")),
            Regexp(EMAIL_SHAPE, message=_l("That does not look like an email address.")),
            Length(max=254),
        ],
    )
    # never re-rendered with its value: a failed attempt clears the password, keeps the email
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Type your password.")), Length(max=1024)]
    )
    submit = SubmitField(_l("Sign in"))
