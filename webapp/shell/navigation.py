"""The main navigation: one entry per area, in the order operators work through them.

Team areas link to the team of the page (or the last team used). An entry whose endpoint
is not registered yet (its issue has not landed) is shown as
"coming soon" rather than as a link to nothing. Admin-only entries are not shown to others.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from webapp.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class NavItem:
    label: object  # a lazy gettext string
    endpoint: str
    blueprint: str | tuple[str, ...]
    admin_only: bool = False  # e.g. staff management: hidden from operators and viewers

    def shown_to(self, user) -> bool:
        return not self.admin_only or bool(getattr(user, "is_admin", False))

    @property
    def available(self) -> bool:
        return self.endpoint in current_app.view_functions

    @property
    def current(self) -> bool:
        owned = (self.blueprint,) if isinstance(self.blueprint, str) else self.blueprint
        return request.blueprint in owned


NAVIGATION: tuple[NavItem, ...] = (
    NavItem(_l("Teams"), "teams.index", "teams"),
    NavItem(_l("Inbox"), "inbox.index", "inbox"),
    NavItem(_l("Overview"), "team.show", ("team", "csd", "settings", "series", "members")),
    NavItem(_l("Users"), "users.index", "users"),
    NavItem(_l("Clients"), "clients.index", "clients"),
    NavItem(_l("Services"), "services.index", "services"),
    NavItem(_l("Invoices"), "invoices.index", "invoices"),
    NavItem(_l("Payments"), "payments.index", "payments"),
    NavItem(_l("Receipts"), "receipts.index", "receipts"),
    NavItem(_l("Webhooks"), "webhooks.index", "webhooks"),
    NavItem(_l("REP monitor"), "rep.index", "rep"),
    NavItem(_l("Jobs"), "jobs.index", ("jobs", "exports", "all_jobs", "partner_exports")),
    NavItem(_l("Audit"), "audit.index", "audit"),
    NavItem(_l("Staff"), "staff.index", "staff", admin_only=True),
)


# rendered menus by (language, admin?, area, team linked): a few hundred at most in practice
_RENDERED_LIMIT = 4096


def navigation_html() -> Markup:
    """The main navigation of this page, rendered once per language, role, area and team and
    reused after: it is the same for every page of an area, and rendering it (a dozen links
    and labels) was a fifth of a simple page's CPU."""
    from webapp.shell.scope import link_team_id

    key = (
        str(get_locale()),
        bool(getattr(current_user, "is_admin", False)),
        request.blueprint,
        link_team_id(),
    )
    rendered: dict = current_app.extensions.setdefault("navigation_html", {})
    html = rendered.get(key)
    if html is None:
        html = Markup(render_template("_partials/navigation.html", navigation=NAVIGATION))
        if len(rendered) >= _RENDERED_LIMIT:
            rendered.clear()
        rendered[key] = html
    return html
