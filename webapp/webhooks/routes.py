"""Webhooks list, create, edit (changed fields only) and delete (with a reason)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, request, url_for
from flask_babel import gettext as _

from webapp import once
from webapp.api import api
from webapp.audit import record
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.gigstack import GigstackError
from webapp.gigstack.errors import NotFound, ValidationError
from webapp.pages import apply_api_errors, form_failed, list_url, navigate, render_page
from webapp.teams.scoped import team_blueprint

from .forms import MAX_EVENTS, OBJECT_LABELS, WebhookDeleteForm, WebhookForm, events_by_object

bp = team_blueprint("webhooks", __name__, "/webhooks")

PAGE_SIZE = 50
STATUSES = ("active", "inactive")


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """Upstream calls: one page of ``GET /webhooks`` (status and cursor in the URL)."""
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    cursor = request.args.get("next") or None
    page = api().webhooks.list(status=status, limit=PAGE_SIZE, next=cursor)
    links = {
        "first": list_url("next") if cursor else None,
        "next": list_url("next", page.next) if page.has_more and page.next else None,
    }
    tabs = [
        (list_url("next", status=""), _("All"), None, not status),
        (list_url("next", status="active"), _("Active"), None, status == "active"),
        (list_url("next", status="inactive"), _("Paused"), None, status == "inactive"),
    ]
    return render_page(
        "webhooks/page.html",
        "webhooks/_rows.html",
        rows=list(page),
        total=page.total_results,
        links=links,
        tabs=tabs,
    )


def _context(form: WebhookForm, chosen: list[str], webhook: dict | None = None) -> dict:
    return {
        "form": form,
        "webhook": webhook,
        "chosen": set(chosen),
        "groups": events_by_object(),
        "object_labels": OBJECT_LABELS,
    }


def _events_problem(form: WebhookForm, chosen: list[str]) -> bool:
    if not chosen:
        form.events.errors = [_("Choose at least one event.")]
    elif len(chosen) > MAX_EVENTS:
        form.events.errors = [_("At most %(n)s events.", n=MAX_EVENTS)]
    return bool(form.events.errors)


def _payload(form: WebhookForm, chosen: list[str]) -> dict[str, Any]:
    return {
        "url": (form.url.data or "").strip(),
        "events": chosen,
        "description": (form.description.data or "").strip() or None,
        "status": form.status.data,
    }


def changed(payload: dict[str, Any], webhook: dict[str, Any]) -> dict[str, Any]:
    """Only what differs from the webhook (the same events in another order are no change)."""

    def same(key: str, value: Any) -> bool:
        current = webhook.get(key)
        if key == "events":
            return set(value) == set(current or [])
        if key == "description":
            return (value or None) == (current or None)
        return value == current

    return {key: value for key, value in payload.items() if not same(key, value)}


def _api_aliases(error: Any) -> dict[str, str]:
    return {
        path: "events" for path in getattr(error, "field_errors", {}) if path.startswith("events")
    }


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def new():
    """Upstream calls: ``POST /webhooks`` on save, once per opened form."""
    form = WebhookForm()
    chosen = form.chosen_events(request.form if form.is_submitted() else None)
    if not form.is_submitted():
        form.once.data = once.issue()
        return render_page("webhooks/new.html", "webhooks/_form.html", **_context(form, chosen))
    valid = form.validate()
    if _events_problem(form, chosen) or not valid:
        return form_failed(
            "webhooks/new.html", "webhooks/_form.html", "webhook-form", **_context(form, chosen)
        )
    claim = once.claim(form.once.data)
    if not claim.fresh:
        return once.repeated(claim)
    try:
        created = api().webhooks.create(_payload(form, chosen))
    except ValidationError as error:
        once.release(form.once.data)
        record("webhook.create", object_type="webhook", outcome=error.code)
        unplaced = apply_api_errors(form, error, _api_aliases(error))
        return form_failed(
            "webhooks/new.html",
            "webhooks/_form.html",
            "webhook-form",
            error=" ".join(unplaced) or None,
            **_context(form, chosen),
        )
    except GigstackError:
        once.release(form.once.data)
        raise
    record(
        "webhook.create",
        object_type="webhook",
        object_id=created.get("id"),
        reason=f"{created.get('url')} · {len(created.get('events') or [])} events",
    )
    target = url_for("webhooks.index")
    once.done(form.once.data, target)
    secret = created.get("secret") or created.get("signing_secret")
    if secret:  # shown once, never stored or logged
        return (
            render_page(
                "webhooks/new.html", "webhooks/_secret.html", webhook=created, secret=secret
            ),
            200,
            {"Cache-Control": "no-store"},
        )
    flash(_("Webhook created: %(url)s.", url=created.get("url")), "info")
    return navigate(target)


def _webhook_or_404(webhook_id: str) -> dict[str, Any]:
    try:
        return api().webhooks.get(webhook_id)
    except (NotFound, ValidationError):
        abort(404)


@bp.route("/<webhook_id>/edit", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def edit(webhook_id: str):
    """Upstream calls: ``GET /webhooks/{id}``; on save ``PUT /webhooks/{id}`` with the
    changed fields only."""
    webhook = _webhook_or_404(webhook_id)
    if request.method == "GET":
        form = WebhookForm(
            data={
                "url": webhook.get("url"),
                "status": webhook.get("status"),
                "description": webhook.get("description") or "",
                "events": webhook.get("events") or [],
            }
        )
        return render_page(
            "webhooks/edit.html",
            "webhooks/_form.html",
            **_context(form, webhook.get("events") or [], webhook),
        )
    form = WebhookForm()
    chosen = form.chosen_events(request.form)
    valid = form.validate()
    context = _context(form, chosen, webhook)
    if _events_problem(form, chosen) or not valid:
        return form_failed("webhooks/edit.html", "webhooks/_form.html", "webhook-form", **context)
    payload = changed(_payload(form, chosen), webhook)
    if payload:
        try:
            api().webhooks.update(webhook_id, payload)
        except ValidationError as error:
            record(
                "webhook.update", object_type="webhook", object_id=webhook_id, outcome=error.code
            )
            unplaced = apply_api_errors(form, error, _api_aliases(error))
            return form_failed(
                "webhooks/edit.html",
                "webhooks/_form.html",
                "webhook-form",
                error=" ".join(unplaced) or None,
                **context,
            )
        record(
            "webhook.update",
            object_type="webhook",
            object_id=webhook_id,
            reason="changed: " + ", ".join(sorted(payload)),
        )
        flash(_("Webhook saved."), "info")
    return navigate(url_for("webhooks.index"))


@bp.route("/<webhook_id>/delete", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def delete(webhook_id: str):
    """A reason and a confirmation. Upstream calls: ``GET /webhooks/{id}``, then
    ``DELETE /webhooks/{id}``."""
    webhook = _webhook_or_404(webhook_id)
    form = WebhookDeleteForm()
    context = {"form": form, "webhook": webhook}
    if not form.is_submitted():
        return render_page("webhooks/delete.html", "webhooks/_confirm.html", **context)
    if not form.validate():
        return form_failed(
            "webhooks/delete.html", "webhooks/_confirm.html", "webhook-delete", **context
        )
    api().webhooks.delete(webhook_id)
    record(
        "webhook.delete",
        object_type="webhook",
        object_id=webhook_id,
        reason=f"{webhook.get('url')}: {form.reason.data}",
    )
    flash(_("Webhook %(url)s deleted.", url=webhook.get("url")), "info")
    return navigate(url_for("webhooks.index"))
