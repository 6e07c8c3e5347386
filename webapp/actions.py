"""The one way a view changes something in gigstack (DESIGN.md, "Screens: one vocabulary").

Every create, update, delete and verb view follows the same skeleton: validate the form,
claim its one-time token (a create is sent once), make the call, record the audit row — on
success and on failure —, put gigstack's field errors on the form's fields, answer the failed
form in place, or navigate — and confirm: every change that went through says so in one
flash naming its object, linked to the object's page (:func:`confirmation`). :func:`perform`
owns that skeleton; a view keeps only what is its own: its form, its call, its messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

from flask import abort, flash, request
from markupsafe import Markup, escape

from webapp import once
from webapp.audit import Detail, enums, record
from webapp.audit.details import CHANGED
from webapp.gigstack import GigstackError
from webapp.gigstack.errors import NotFound, ValidationError
from webapp.pages import apply_api_errors, form_failed, navigate, render_page

T = TypeVar("T")

# gigstack errors that mean "the form is wrong": shown on the form, never as an error page
REFUSALS: tuple[type[GigstackError], ...] = (ValidationError,)
# for get_or_404: an id gigstack refuses (of the wrong shape) names nothing either
NOT_FOUND_OR_REFUSED: tuple[type[GigstackError], ...] = (NotFound, ValidationError)


@dataclass(frozen=True)
class Screen:
    """Where a form lives: its page, the fragment htmx swaps and that fragment's element id."""

    page: str
    fragment: str
    target: str

    def show(self, fragments: str | Mapping[str, str] | None = None, **context: Any) -> str:
        """The page, or the fragment htmx asks for (``fragments`` when it has several)."""
        return render_page(self.page, fragments or self.fragment, fragment=self.fragment, **context)

    def failed(self, error: str | None = None, **context: Any):
        """The form (``context["form"]``) again with its errors (422), the input kept."""
        return form_failed(
            self.page, self.fragment, self.target, error=error, fragment=self.fragment, **context
        )


SCREEN_PAGE = "_partials/screen.html"


def verb_screen(fragment: str, target: str) -> Screen:
    """A delete or verb screen: the team screen layout around the area's own fragment (it
    wants ``title`` and, optionally, ``back={url, label, note}`` in its context)."""
    return Screen(SCREEN_PAGE, fragment, target)


def confirmation(text: str, name: Any = None, url: str | None = None, **more: Any) -> Markup:
    """The one success message: ``text`` (translated, ``%(name)s`` where it names the object)
    with the object's name linked to its page (``url``, from ``url_for``; none for an object
    that has no page any more). Text, name and ``more`` are escaped: only the link is markup,
    so nothing typed into a form becomes HTML in the flash. What was typed is cut to
    :data:`SHOWN_CHARACTERS` (the flash travels in the session cookie)."""
    name = _shortened(name or "")
    named = Markup('<a href="{}">{}</a>').format(url, name) if url else escape(name)
    shown = {key: _shortened(value) for key, value in more.items()}
    return Markup(escape(text)) % {"name": named, **shown}


SHOWN_CHARACTERS = 120


def _shortened(value: Any) -> Any:
    if isinstance(value, Markup) or not isinstance(value, str) or len(value) <= SHOWN_CHARACTERS:
        return value
    return value[: SHOWN_CHARACTERS - 1] + "…"


def _value(value: Any, result: Any) -> Any:
    return value(result) if callable(value) else value


def perform(
    form: Any,
    call: Callable[[], T],
    *,
    screen: Screen,
    audit: str,
    object_type: str | None = None,
    then: str | Callable[[T], Any],
    object_id: str | Callable[[T], str | None] | None = None,
    reason: str | Callable[[T], str | None] | None = None,
    detail: dict | Callable[[T], dict | None] | None = None,
    context: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
    refused: Callable[[Any, GigstackError], list[str]] | None = None,
    refusals: tuple[type[GigstackError], ...] = REFUSALS,
    aliases: Mapping[str, str] | None = None,
    message: str | Callable[[T], str],
    validate: bool = True,
    repeat_to: str | Callable[[T], str] | None = None,
    failed_id: str | None = None,
    check: Callable[[], Any] | None = None,
    error_reason: str | None = None,
    unconfirmed: Callable[[GigstackError], str] | None = None,
    team: str | Callable[[T], str | None] | None = None,
):
    """Validate ``form``, send ``call`` once and answer.

    - a form not sent yet (GET) → the screen with it;
    - invalid form → the form again (422), nothing sent, nothing recorded;
    - the form's one-time token (a ``once`` field) already used → where the first attempt
      went (:func:`once.repeated`), nothing sent;
    - gigstack refuses (``refusals``) → audit row with the error code, the messages on their
      fields (``refused(form, error)`` for a view's own mapping, else by gigstack's field
      paths), the rest in the form's banner; the token is released so the form can be sent
      again;
    - any other gigstack error → audit row with its code, token released, the error goes on to
      the error pages (banner and retry);
    - success → audit row, ``message`` flashed (every change confirms: a
      :func:`confirmation` naming the object, linked), the token remembers ``then``'s URL
      and the browser goes there. ``then`` may instead give a response (a page shown once): a repeat
      then goes to ``repeat_to``.

    ``object_type`` is the audit action's object unless said (``client`` for ``client.create``);
    ``reason`` (what was typed, recorded as typed) is the form's own ``reason`` field unless
    said; ``detail`` is what the row says of the action in the reader's language (a
    :class:`~webapp.audit.details.Detail`).
    ``object_id``, ``reason``, ``detail`` and ``message`` may be functions of the call's result
    (a failure row then carries ``failed_id``, e.g. the e-mail a create was refused for).
    ``form`` is None for a verb that is only a button (nothing to validate, no one-time token).

    - ``check``: the view's own refusals made once the token is claimed (a state changed in
      another tab, an amount above what is left): an answer from it is returned, the token
      released, nothing sent or recorded;
    - ``error_reason``: the reason recorded when the call fails (default: ``reason`` when it
      is not a function);
    - ``unconfirmed(error)``: any other gigstack error answers the failed form with this
      message instead of the error pages (a form carrying gigstack's idempotency key can
      safely be sent again).

    ``repeat_to`` and ``team`` (the audit row's team when it is not the request's: a team just
    created) may be functions of the result too. ``context`` may be a function: the form's page
    is then built only when the form is shown again (a page whose context costs calls).
    """

    object_type = object_type or audit.partition(".")[0]
    if reason is None and hasattr(form, "reason"):
        reason = form.reason.data

    def extra() -> dict[str, Any]:
        return {**((context() if callable(context) else context) or {}), "form": form}

    if form is not None and not form.is_submitted():
        return screen.show(**extra())
    if validate and form is not None and not form.validate():
        return screen.failed(**extra())
    token = getattr(getattr(form, "once", None), "data", None)
    claim = once.claim(token)
    if not claim.fresh:
        return once.repeated(claim)
    if check is not None:
        answer = check()
        if answer is not None:
            once.release(token)
            return answer
    static_id = failed_id if callable(object_id) else object_id
    static_team = None if callable(team) else team
    static_reason = error_reason if error_reason is not None or callable(reason) else reason
    static_detail = None if callable(detail) else detail
    try:
        result = call()
    except GigstackError as error:
        once.release(token)
        record(
            audit,
            team=static_team,
            object_type=object_type,
            object_id=static_id,
            outcome=error.code or type(error).__name__,
            reason=static_reason,
            detail=static_detail,
        )
        if not isinstance(error, refusals):
            if unconfirmed is None:
                raise
            return screen.failed(error=unconfirmed(error), **extra())
        unplaced = refused(form, error) if refused else apply_api_errors(form, error, aliases)
        return screen.failed(error=" ".join(unplaced) or None, **extra())
    except BaseException:
        once.release(token)
        raise
    record(
        audit,
        team=_value(team, result),
        object_type=object_type,
        object_id=_value(object_id, result),
        reason=_value(reason, result),
        detail=_value(detail, result),
    )
    flash(_value(message, result), "info")
    answer = _value(then, result)
    if isinstance(answer, str):
        once.done(token, answer)
        return navigate(answer)
    if repeat_to:
        once.done(token, _value(repeat_to, result))
    return answer


def get_or_404(
    fetch: Callable[..., T],
    *args: Any,
    missing: tuple[type[GigstackError], ...] = (NotFound,),
    **kwargs: Any,
) -> T:
    """``fetch(*args)``, or the 404 page when gigstack does not know it (``missing``: the
    errors that mean so, e.g. also ``ValidationError`` for an id of the wrong shape)."""
    try:
        return fetch(*args, **kwargs)
    except missing:
        abort(404)


def one_or_404(rows: Iterable[Mapping[str, Any]], object_id: str) -> Mapping[str, Any]:
    """The row of ``rows`` whose ``id`` is ``object_id`` (gigstack lists some objects only as
    a whole: a team's series, its members), or the 404 page."""
    found = next((row for row in rows if row.get("id") == object_id), None)
    if found is None:
        abort(404)
    return found


def cursor_links(page: Any, cursor: str | None, name: str = "next") -> dict[str, str | None]:
    """The pager's links of a cursor list: back to the first page (when not on it) and on to
    the next (when gigstack has more), every filter kept."""
    from webapp.pages import list_url

    return {
        "first": list_url(name) if cursor else None,
        "next": list_url(name, page.next) if page.has_more and page.next else None,
    }


NO_LINKS: dict[str, str | None] = {"first": None, "next": None}


def walk(items: Iterable[T], keep: Callable[[T], bool], most: int | None = None) -> Iterator[T]:
    """The items ``keep`` keeps, until ``most`` are kept (a local search over a list)."""
    return islice((item for item in items if keep(item)), most)


def page_or_walk(
    resource: Any,
    keep: Callable[[Any], bool] | None,
    *,
    page_size: int,
    most: int | None = None,
    walked: int | None = None,
    **order: Any,
) -> tuple[list, int | None, dict[str, str | None]]:
    """A list screen's rows, total and pager links: one page of ``resource.list`` (the cursor
    in ``?next=``), or — with ``keep``, a filter gigstack's list does not take — every item
    ``resource.iter`` walks that ``keep`` keeps, up to ``most`` kept (or ``walked`` read), on
    one page. ``order`` (``order_by``, ``sort``) goes to both calls."""
    if keep is not None:
        items = resource.iter(limit=100, **order)
        rows = list(walk(islice(items, walked), keep, most))
        return rows, len(rows), NO_LINKS
    cursor = request.args.get("next") or None
    page = resource.list(limit=page_size, next=cursor, **order)
    return list(page), page.total_results, cursor_links(page, cursor)


def changed_reason(fields: Iterable[str], kind: str = "field") -> Detail:
    """An update's audit detail: ``changed: a, b`` (the fields sent, in order, each shown
    through the label table ``kind``), the one shape every edit screen records."""
    return Detail(CHANGED, fields=enums(kind, sorted(fields)))


def refused_with_message(form: Any, error: GigstackError) -> list[str]:
    """For ``perform(refused=…)``: gigstack's message in the form's banner, none on fields
    (a delete refused as a whole)."""
    return [error.message]


def refused_on_fields(form: Any, error: GigstackError) -> list[str]:
    """For ``perform(refused=…)``: gigstack's field errors on their fields, and its message in
    the banner when every one found its field."""
    return apply_api_errors(form, error) or [error.message]
