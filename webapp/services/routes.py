"""Services of a team (REFERENCE §3): list, create, edit, delete, with SAT key pickers and
the taxes editor. Mounted at ``/teams/<team_id>/services``."""

from __future__ import annotations

from flask import request, url_for

from webapp import once
from webapp.actions import (
    Screen,
    changed_reason,
    confirmation,
    get_or_404,
    page_or_walk,
    perform,
    verb_screen,
)
from webapp.api import api
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.catalogs import sat
from webapp.i18n import gettext as _
from webapp.pages import navigate, render_page
from webapp.teams.scoped import team_blueprint

from .forms import ServiceDeleteForm, ServiceFilterForm, ServiceForm, changed, form_data
from .taxes import price_preview

bp = team_blueprint("services", __name__, "/services")

PAGE_SIZE = 25
SEARCH_LIMIT = 2000  # services walked when searching (the API has no service search)
FRAGMENTS = {"service-form": "services/_form.html", "price-preview": "services/_preview.html"}


def _matches(service: dict, text: str) -> bool:
    haystack = " ".join(
        str(service.get(k) or "") for k in ("description", "sku", "product_key", "unit_key")
    ).casefold()
    return all(word in haystack for word in text.casefold().split())


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """Upstream calls: ``GET /services?team=`` one page (cursor in the URL); with a search,
    every page (filtered here: gigstack has no service search)."""
    form = ServiceFilterForm(request.args)
    form.validate()
    text = "" if form.q.errors else (form.q.data or "")
    keep = (lambda service: _matches(service, text)) if text else None
    rows, total, links = page_or_walk(api().services, keep, page_size=PAGE_SIZE, most=SEARCH_LIMIT)
    return render_page(
        "services/page.html",
        "services/_rows.html",
        form=form,
        rows=rows,
        total=total,
        links=links,
        product=sat.product_key,
    )


def _context(form: ServiceForm, service: dict | None = None, kept: list | None = None):
    return {
        "form": form,
        "service": service,
        "kept": kept or [],
        "preview": price_preview(
            float(form.unit_price.data or 0) if not form.unit_price.errors else 0, form.taxes(kept)
        ),
        "product": sat.product_key(form.product_key.data),
        "unit": sat.unit_key(form.unit_key.data),
    }


NEW = Screen("services/new.html", "services/_form.html", "service-form")
EDIT = Screen("services/edit.html", "services/_form.html", "service-form")
DELETE = verb_screen("services/_confirm.html", "service-delete")


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def new():
    """Upstream calls: ``POST /services?team=`` on save (none while the form is refused)."""
    if request.method == "GET" and request.args:  # the price preview as the form changes
        form = ServiceForm(request.args, meta={"csrf": False})
        form.validate()
        form.once.data = form.once.data or once.issue()
        return render_page(NEW.page, FRAGMENTS, **_context(form))
    form = ServiceForm()
    if not form.is_submitted():
        form.once.data = once.issue()
        return render_page(NEW.page, FRAGMENTS, **_context(form))
    return perform(
        form,
        lambda: api().services.create(form.payload()),
        screen=NEW,
        context=_context(form),
        audit="service.create",
        object_id=lambda service: service.get("id"),
        reason=lambda service: service.get("description"),
        message=lambda service: confirmation(
            _("Service %(name)s created."),
            service.get("description") or form.description.data,
            url_for("services.edit", service_id=service["id"]) if service.get("id") else None,
        ),
        then=url_for("services.index"),
    )


@bp.route("/<service_id>/edit", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def edit(service_id: str):
    """Upstream calls: ``GET /services/{id}``; on save ``PUT /services/{id}`` with only the
    changed fields."""
    service = get_or_404(api().services.get, service_id)
    data, kept = form_data(service)
    if request.method == "GET" and request.args:
        form = ServiceForm(request.args, meta={"csrf": False})
        form.validate()
        return render_page(EDIT.page, FRAGMENTS, **_context(form, service, kept))
    form = ServiceForm(data=data)
    if not form.is_submitted():
        return render_page(EDIT.page, FRAGMENTS, **_context(form, service, kept))
    if not form.validate():
        return EDIT.failed(**_context(form, service, kept))
    payload = changed(form.payload(kept), service)
    if not payload:
        return navigate(url_for("services.index"))
    return perform(
        form,
        lambda: api().services.update(service_id, payload),
        screen=EDIT,
        context=_context(form, service, kept),
        validate=False,
        audit="service.update",
        object_id=service_id,
        detail=changed_reason(payload),
        message=confirmation(
            _("Service %(name)s saved."),
            payload.get("description") or service.get("description") or service_id,
            url_for("services.edit", service_id=service_id),
        ),
        then=url_for("services.index"),
    )


@bp.route("/<service_id>/delete", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def delete(service_id: str):
    """A reason is asked; invoices keep their own copy of the item. Upstream calls:
    ``GET /services/{id}``, ``DELETE /services/{id}``."""
    service = get_or_404(api().services.get, service_id)
    form = ServiceDeleteForm()
    return perform(
        form,
        lambda: api().services.delete(service_id),
        screen=DELETE,
        context={"service": service, "title": _("Delete service")},
        audit="service.delete",
        object_id=service_id,
        message=confirmation(
            _("Service %(name)s was deleted."), service.get("description") or service_id
        ),
        then=url_for("services.index"),
    )
