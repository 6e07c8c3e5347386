"""The team's CSD: the current certificate's state and the upload of a new one (views of the
``team`` blueprint, registered by :mod:`webapp.teams.overview`).

Every check ``webapp/sat/csd.py`` can make runs **before** anything is sent (DER certificate,
CSD not e.firma, RFC equal to the team's, password opens the key, key matches certificate,
validity on the app's clock): each refusal is a message on its field and no call to gigstack.
The password and the key live only in this request's locals: never logged, audited,
rendered, cached or kept after the request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import render_template, url_for

from webapp.actions import Screen, confirmation, perform
from webapp.api import api, unscoped_api
from webapp.audit import Detail, record
from webapp.audit.details import CERTIFICATE
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.clock import utcnow
from webapp.i18n import gettext as _
from webapp.pages import apply_api_errors

from .csd_messages import FIELD_OF_PART, csd_message
from .details import forget_everywhere, team_details
from .forms import CsdForm
from .readiness import csd_state
from .scoped import current_team_id

if TYPE_CHECKING:  # the checks (cryptography's x509, ~8 MB) load with the first upload
    from webapp.sat.csd import CertificateInfo

CSD = Screen("teams/csd.html", "teams/_csd_form.html", "csd-form")
# gigstack's multipart part → the form's field
API_FIELDS = {"cert": "certificate", "key": "private_key", "keyPass": "password"}


def _not_uploaded() -> str:
    return _("The CSD was not uploaded. Files are not kept: choose them again.")


def _context(team: dict, form: CsdForm, **extra):
    sat = team.get("sat") or {}
    return {
        "team": team,
        "form": form,
        "sat": sat,
        "csd": csd_state(bool(sat.get("completed")), sat.get("csd_expires_at")),
        **extra,
    }


@requires(Role.VIEWER)
def csd():
    """Upstream calls: ``GET /teams/{id}`` (cached 30 s)."""
    team = team_details(api(), current_team_id())
    return CSD.show(**_context(team, CsdForm()))


@requires(Role.OPERATOR)
def upload_csd():
    """Check locally, then ``POST /teams/{id}/sat-connection``; shows gigstack's answer once.
    Upstream calls: ``GET /teams/{id}`` (cached 30 s, and again after the upload)."""
    team_id = current_team_id()
    form = CsdForm()
    context = _context(team_details(api(), team_id), form)
    if not form.validate():
        return CSD.failed(error=_not_uploaded(), **context)
    cer, key = form.certificate.data.read(), form.private_key.data.read()
    password, form.password.data = form.password.data, None
    info = _checked_locally(form, context["team"], cer, key, password)
    if info is None:
        return CSD.failed(error=_not_uploaded(), **context)
    return perform(
        form,
        lambda: _uploaded(team_id, info.der or cer, key, password),
        screen=CSD,
        context=context,
        validate=False,
        audit="team.upload_csd",
        object_id=team_id,
        detail=lambda answer: _certificate(info),
        refused=lambda form, error: [_not_uploaded(), *apply_api_errors(form, error, API_FIELDS)],
        message=confirmation(
            _("%(name)s uploaded: gigstack's answer is below."), _("CSD"), url_for("team.csd")
        ),
        then=lambda answer: _result_page(team_id, info, answer),
        repeat_to=url_for("team.csd"),
    )


def _checked_locally(
    form: CsdForm, team: dict, cer: bytes, key: bytes, password: str
) -> CertificateInfo | None:
    """The certificate's details, or None when local checks refused the files: every problem
    on its field at once (another RFC first), the refusal in the audit log."""
    from webapp.sat.csd import csd_problems

    info, problems = csd_problems(cer, key, password, now=utcnow(), expected_rfc=team.get("tax_id"))
    if not problems:
        return info
    for error in problems:
        field = getattr(form, FIELD_OF_PART.get(error.field, "certificate"))
        field.errors.append(csd_message(error))
    outcome = "refused_locally:" + ",".join(error.reason for error in problems)
    record("team.upload_csd", object_type="team", object_id=current_team_id(), outcome=outcome[:64])
    return None


def _uploaded(team_id: str, cer: bytes, key: bytes, password: str) -> dict:
    answer = unscoped_api().teams.upload_csd(team_id, cer, key, password)
    forget_everywhere(team_id)
    return answer


def _certificate(info: CertificateInfo) -> Detail:
    return Detail(
        CERTIFICATE,
        number=info.certificate_number or "?",
        rfc=info.rfc,
        until=f"{info.not_after:%Y-%m-%d}",
    )


def _result_page(team_id: str, info: CertificateInfo, answer: dict) -> tuple[str, int]:
    """The CSD page again with what gigstack answered and the certificate just uploaded (a
    response, not a URL: :func:`perform` shows it as it is)."""
    fresh = team_details(api(), team_id)
    context = _context(fresh, CsdForm(formdata=None), uploaded=info, answer=answer)
    return render_template("teams/csd.html", **context), 200
