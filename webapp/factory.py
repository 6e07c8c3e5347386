"""The app factory: ``create_app(config=None)`` builds the dashboard (``webapp.create_app``,
which ``flask --app webapp`` and gunicorn's ``webapp:create_app()`` find, is this function).
Without ``GIGSTACK_API_KEY`` the app runs on the built-in sandbox.
"""

from __future__ import annotations

import atexit
import secrets
from typing import Any

from flask import Flask

from . import cache, database, i18n, observability, security, static_files
from . import config as config_module
from .errors import register_error_handlers
from .extensions import compress, csrf, htmx, limiter
from .forms import install_widgets
from .templating import TemplateEnvironment
from .upstream import Upstream, build_upstream


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the dashboard; ``config`` overrides settings read from the environment."""
    # named after the package, as when the factory lived in webapp/__init__.py (logger name,
    # root path for the templates and static folders)
    app = Flask("webapp", template_folder="../templates", static_folder="../static")
    app.jinja_environment = TemplateEnvironment
    app.config.update(config_module.load(config))
    config_module.check(app.config)
    _ensure_secret_key(app)
    compress.init_app(app)  # first registered, so its after_request runs last
    observability.init_app(app)
    security.init_app(app)
    database.init_app(app)
    database.check_reachable(app)
    cache.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    register_error_handlers(app)
    _register_upstream(app)
    _register_auth(app)
    _register_jobs(app)
    _register_blueprints(app)
    _register_template_helpers(app)
    install_widgets()
    static_files.init_app(app)
    security.trust_proxy(app)
    return app


def _ensure_secret_key(app: Flask) -> None:
    """On the sandbox in development a throwaway key is fine (``config.check`` refused the
    rest); several processes must share one, which gunicorn.conf.py sees to."""
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secrets.token_urlsafe(32)


def _register_upstream(app: Flask) -> None:
    upstream: Upstream = app.config.get("GIGSTACK_UPSTREAM") or build_upstream(app.config)
    app.extensions["gigstack"] = upstream
    if upstream.sandbox is not None:
        atexit.register(upstream.close)


def _register_auth(app: Flask) -> None:
    from .auth.setup import init_app as init_auth
    from .teams import team_list

    init_auth(app)
    team_list.init_app(app)


def _register_jobs(app: Flask) -> None:
    """The queue, file store and limits of background jobs; a job that ended says so once."""
    from .jobs import notices, queue

    queue.init_app(app)
    app.before_request(notices.flash_ended_jobs)


def _register_blueprints(app: Flask) -> None:
    from .audit.routes import bp as audit_bp
    from .bulk.routes import bp as bulk_bp
    from .catalogs.routes import bp as catalogs_bp
    from .clients.routes import bp as clients_bp
    from .health import bp as health_bp
    from .inbox.routes import bp as inbox_bp
    from .invoices.routes import bp as invoices_bp
    from .jobs.routes import all_bp as all_jobs_bp
    from .jobs.routes import bp as jobs_bp
    from .month.routes import bp as exports_bp
    from .month.routes import partner_bp as partner_exports_bp
    from .payments.routes import bp as payments_bp
    from .receipts.routes import bp as receipts_bp
    from .rep.routes import bp as rep_bp
    from .search.hooks import bp as hooks_bp
    from .search.routes import bp as search_bp
    from .search.routes import team_bp as team_search_bp
    from .services.routes import bp as services_bp
    from .shell.routes import bp as shell_bp
    from .staff.routes import bp as staff_bp
    from .teams.directory import bp as teams_bp
    from .teams.members import bp as members_bp
    from .teams.overview import bp as team_bp
    from .teams.scoped import init_app as init_team_urls
    from .teams.series import bp as series_bp
    from .users.routes import bp as users_bp
    from .webhooks.routes import bp as webhooks_bp

    app.register_blueprint(shell_bp)
    for blueprint in (
        teams_bp,
        team_bp,
        series_bp,
        members_bp,
        users_bp,
        clients_bp,
        services_bp,
        invoices_bp,
        payments_bp,
        receipts_bp,
        webhooks_bp,
        rep_bp,
        catalogs_bp,
        jobs_bp,
        exports_bp,
        bulk_bp,
        team_search_bp,
    ):
        app.register_blueprint(blueprint)
    app.register_blueprint(all_jobs_bp)
    app.register_blueprint(partner_exports_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(hooks_bp)
    init_team_urls(app)


def _register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    from .formatting import register as register_formatting
    from .labels import init_app as register_labels
    from .links import row_link
    from .pages import init_app as register_pages
    from .shell.context import template_helpers
    from .shell.navigation import navigation_html
    from .teams.team_list import team_name

    register_formatting(app)
    register_labels(app)
    register_pages(app)
    # globals, not context: imported macros (role-aware buttons) see them too
    from .shell.context import may

    app.jinja_env.globals["may"] = may
    app.add_template_global(row_link)
    app.add_template_global(team_name)

    @app.context_processor
    def shell_context() -> dict[str, Any]:
        upstream: Upstream = app.extensions["gigstack"]
        return {
            "upstream": upstream,
            "navigation_html": navigation_html,
            "html_lang": i18n.html_lang(str(get_locale() or "es_MX")),
            "languages": app.config["LANGUAGES"],
            **template_helpers(),
        }
