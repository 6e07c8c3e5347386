"""The team's CSD: the current certificate's state and the upload of a new one.

Every check ``webapp/sat/csd.py`` can make runs **before** anything is sent (DER certificate,
CSD not e.firma, RFC equal to the team's, password opens the key, key matches certificate,
validity on the app's clock): each refusal is a message on its field and no call to gigstack.
The password and the key live only in this request's locals: never logged, audited,
rendered, cached or kept after the request.
"""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import PasswordField
from wtforms.validators import ValidationError as FieldError

from webapp.api import api, unscoped_api
from webapp.audit import record
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.clock import utcnow
from webapp.forms import BackofficeForm
from webapp.gigstack.errors import ValidationError
from webapp.pages import apply_api_errors, form_failed, render_page
from webapp.sat.csd import CsdError, check_csd
from webapp.shell import scope

from .csd_messages import FIELD_OF_PART, csd_message
from .details import forget_team, team_details
from .readiness import csd_state
from .scoped import current_team_id, team_blueprint

bp = team_blueprint("csd", __name__, "/csd")


class CsdForm(BackofficeForm):
    """Files are never shown back (a browser cannot pre-fill them), nor is the password."""

    certificate = FileField(_l("Certificate (.cer)"))
    private_key = FileField(_l("Private key (.key)"))
    password = PasswordField(_l("Private key password"))

    def validate_certificate(self, field) -> None:
        if not field.data:
            raise FieldError(_l("Choose the certificate file (.cer)."))

    def validate_private_key(self, field) -> None:
        if not field.data:
            raise FieldError(_l("Choose the private key file (.key)."))

    def validate_password(self, field) -> None:
        if not field.data:
            raise FieldError(_l("Type the password of the private key."))


def _context(team: dict, form: CsdForm, **extra):
    sat = team.get("sat") or {}
    return {
        "team": team,
        "form": form,
        "sat": sat,
        "csd": csd_state(bool(sat.get("completed")), sat.get("csd_expires_at")),
        **extra,
    }


@bp.get("")
@requires(Role.VIEWER)
def show():
    """Upstream calls: ``GET /teams/{id}`` (cached 30 s)."""
    team = team_details(api(), current_team_id())
    return render_page("teams/csd.html", "teams/_csd_form.html", **_context(team, CsdForm()))


@bp.post("")
@requires(Role.OPERATOR)
def upload_csd():
    """Check locally, then ``POST /teams/{id}/sat-connection``; shows gigstack's answer."""
    team_id = current_team_id()
    team = team_details(api(), team_id)
    form = CsdForm()
    failed = _("The CSD was not uploaded. Files are not kept: choose them again.")
    if not form.validate():
        return form_failed(
            "teams/csd.html",
            "teams/_csd_form.html",
            "csd-form",
            error=failed,
            **_context(team, form),
        )
    cer = form.certificate.data.read()
    key = form.private_key.data.read()
    password = form.password.data
    try:
        info = check_csd(cer, key, password, now=utcnow(), expected_rfc=team.get("tax_id"))
    except CsdError as error:
        getattr(form, FIELD_OF_PART.get(error.field, "certificate")).errors.append(
            csd_message(error)
        )
        record(
            "team.upload_csd",
            object_type="team",
            object_id=team_id,
            outcome=f"refused_locally:{error.reason}",
        )
        return form_failed(
            "teams/csd.html",
            "teams/_csd_form.html",
            "csd-form",
            error=failed,
            **_context(team, form),
        )
    finally:
        form.password.data = None
    try:
        answer = unscoped_api().teams.upload_csd(team_id, info.der or cer, key, password)
    except ValidationError as error:
        record("team.upload_csd", object_type="team", object_id=team_id, outcome=error.code)
        unplaced = apply_api_errors(
            form, error, {"cert": "certificate", "key": "private_key", "keyPass": "password"}
        )
        return form_failed(
            "teams/csd.html",
            "teams/_csd_form.html",
            "csd-form",
            error=" ".join([failed, *unplaced]),
            **_context(team, form),
        )
    finally:
        del key, password
    forget_team(team_id)
    scope.directory().forget()
    record(
        "team.upload_csd",
        object_type="team",
        object_id=team_id,
        reason=f"certificate {info.certificate_number or '?'} of {info.rfc}, valid to "
        f"{info.not_after:%Y-%m-%d}",
    )
    fresh = team_details(api(), team_id)
    return render_template(
        "teams/csd.html", **_context(fresh, CsdForm(formdata=None), uploaded=info, answer=answer)
    )
