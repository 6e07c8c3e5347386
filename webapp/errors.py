"""Error answers: a full page for browsers, a banner fragment for htmx; never a trace.

htmx requests get the fragment ``_partials/error_banner.html`` with the header
``X-Backoffice-Error`` so ``static/js/app.js`` shows it in the page's banner area instead of
swapping it into the target.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from webapp import gigstack
from webapp.auth.access import safe_next
from webapp.i18n import gettext as _
from webapp.i18n import lazy_gettext as _l
from webapp.pages import htmx_page_path, is_htmx

log = logging.getLogger(__name__)

ERROR_HEADER = "X-Backoffice-Error"


@dataclass
class ErrorView:
    """What an error page says: in the operator's language, with a way forward."""

    status: int
    title: str
    detail: str
    code: str | None = None
    retry_url: str | None = None  # "Try again" repeats the same GET
    back_url: str | None = None  # "Go back" returns to the page the form was on


def render_error(view: ErrorView):
    """The full error page, or the banner fragment for htmx requests."""
    if is_htmx():
        body = render_template("_partials/error_banner.html", error=view)
        return body, view.status, {ERROR_HEADER: str(view.status)}
    return render_template("errors/page.html", error=view), view.status


def _same_site_referrer() -> str | None:
    """The page the user came from, when it is on this site (a way back to what they typed)."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return None
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))


def _retry_url() -> str | None:
    """The page to load again (for htmx: the page the user is on); GET requests only."""
    if request.method != "GET":
        return None
    page = safe_next(htmx_page_path())
    if page:
        return page
    return safe_next(request.full_path.rstrip("?")) or "/"


# gigstack's failures as the error page tells them: status, title and what happened (the first
# class that matches; a subclass stands before its parent)
UPSTREAM_PAGES = (
    (
        gigstack.CircuitOpen,
        503,
        _l("gigstack is not responding"),
        _l("Several requests in a row failed; we wait a few seconds before trying again."),
    ),
    (gigstack.Timeout, 504, _l("gigstack took too long"), _l("The request got no answer in time.")),
    (
        gigstack.Unavailable,
        502,
        _l("gigstack unreachable"),
        _l("We could not reach gigstack. It may be momentary."),
    ),
    (
        gigstack.Unauthorized,
        502,
        _l("API key rejected"),
        _l("gigstack rejected the configured API key. Check GIGSTACK_API_KEY."),
    ),
    (
        gigstack.Forbidden,
        403,
        _l("No access to this team"),
        _l("The API key cannot act on that team."),
    ),
    (
        gigstack.NotFound,
        404,
        _l("Not found"),
        _l("gigstack did not find what you are looking for."),
    ),
)


def describe_upstream_error(error: gigstack.GigstackError) -> ErrorView:
    """gigstack failures: a clear title, what happened, and a retry path."""
    retry = _retry_url()
    if isinstance(error, gigstack.RateLimited):
        detail = _("gigstack asked us to wait.")
        if error.retry_after:
            detail += " " + _("Try again in %(seconds)d s.", seconds=int(error.retry_after))
        return ErrorView(429, _("Too many requests"), detail, error.code, retry)
    for kind, status, title, detail in UPSTREAM_PAGES:
        if isinstance(error, kind):
            return ErrorView(status, str(title), str(detail), error.code, retry)
    if isinstance(error, gigstack.ValidationError) and _is_our_cursor(error):
        # the visitor's own input (an old, cut or edited link), not gigstack's failure
        return ErrorView(
            400,
            _("This page of the list is no longer valid"),
            _(
                "The page marker in the address is not valid: the link may be old, cut or edited. "
                "Start again from the first page."
            ),
            "invalid_cursor",
            retry_url=_first_page(),
        )
    return ErrorView(502, _("gigstack answered with an error"), error.message, error.code, retry)


def _is_our_cursor(error: gigstack.ValidationError) -> bool:
    """gigstack refused the list cursor this request carried in its URL (``?next=``)."""
    return "next" in error.field_errors and bool(request.args.get("next"))


def _first_page() -> str:
    """This list without its cursor: the first page, every filter kept."""
    args = {key: value for key, value in request.args.items(multi=True) if key != "next"}
    query = urlencode(args)
    return safe_next(request.path + (f"?{query}" if query else "")) or "/"


def describe_http_error(error: HTTPException) -> ErrorView:
    status = error.code or 500
    back = _same_site_referrer()
    if isinstance(error, CSRFError):
        return ErrorView(
            400,
            _("This form expired"),
            _(
                "The page was open for too long or its security token is missing. Go back, "
                "reload the page and send it again."
            ),
            "csrf",
            back_url=back,
        )
    if status == 403:
        detail = {
            "no_team_in_scope": _(
                "Your account is not allowed to act on any team the API key "
                "reaches. Ask an administrator to review your teams."
            ),
            "team_out_of_scope": _("That team is not among the teams your account may use."),
        }.get(
            error.description or "",
            _("Your role does not allow this action. Ask an administrator if you need it."),
        )
        return ErrorView(403, _("Access denied"), detail, "forbidden", back_url=back)
    if status == 409 and error.description == "already_sent":
        return ErrorView(
            409,
            _("Already sent"),
            _(
                "This form was already sent and gigstack is still answering it. Wait a moment and "
                "reload the page to see the result."
            ),
            "already_sent",
            back_url=back,
        )
    if status == 404:
        return ErrorView(
            404,
            _("Page not found"),
            _("The address does not exist or is no longer available."),
            "not_found",
        )
    if status == 405:
        return ErrorView(
            405,
            _("Method not allowed"),
            _("This address does not accept that kind of request."),
            "method_not_allowed",
        )
    if status == 429:
        return ErrorView(
            429,
            _("Too many attempts"),
            _("You made too many requests in a short time. Wait a minute and try again."),
            "rate_limited",
            retry_url=_retry_url(),
        )
    if status == 413:
        return ErrorView(
            413,
            _("File too large"),
            _("The file you sent is too large."),
            "too_large",
            back_url=back,
        )
    if status >= 500:
        return _server_error()
    return ErrorView(
        status,
        _("Invalid request"),
        _("The request could not be understood. Reload the page and try again."),
        "bad_request",
        back_url=back,
    )


def _server_error() -> ErrorView:
    return ErrorView(
        500,
        _("Something went wrong"),
        _("An unexpected error happened. It was logged; try again in a moment."),
        "internal_error",
        retry_url=_retry_url(),
    )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(gigstack.GigstackError)
    def upstream_error(error: gigstack.GigstackError):
        log.warning(
            "upstream error on %s %s: %s (%s)",
            request.method,
            request.path,
            type(error).__name__,
            error.code,
        )
        return render_error(describe_upstream_error(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 429 and request.endpoint == "auth.sign_in":
            from webapp.auth.routes import throttled_sign_in

            return throttled_sign_in()
        if isinstance(error, CSRFError) and request.endpoint == "auth.sign_in":
            from webapp.auth.routes import expired_sign_in_form

            return expired_sign_in_form()
        return render_error(describe_http_error(error))

    @app.errorhandler(Exception)
    def crash(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(_server_error())
