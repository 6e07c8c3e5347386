"""The series an invoice can be numbered in, and — for a credit note — the one gigstack takes
when none is chosen (REFERENCE §4 "Folio assignment": the team's credit-note series, else its
oldest series, else A), said before it is issued rather than found out after."""

from __future__ import annotations

from typing import Any

from webapp.api import api
from webapp.i18n import gettext as _


def series_choices(series: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Each series of the team with its next folio in this key's mode."""
    mode = "live" if api().key_info.is_live else "test"
    return [
        (
            s["series"],
            _(
                "%(series)s — next folio %(folio)s",
                series=s["series"],
                folio=f"{s['series']}-{int(s.get(mode) or 0) + 1}",
            ),
        )
        for s in series
    ]


def credit_note_default(team: dict[str, Any], series: list[dict[str, Any]]) -> tuple[str, bool]:
    """The series gigstack numbers a credit note in when none is sent, and whether it is the
    team's own credit-note series (else: its oldest series, which its invoices use too)."""
    default = ((team.get("settings") or {}).get("default_series") or {}).get("credit_note")
    named = default.get("serie") if isinstance(default, dict) else None
    if named and any(s["series"] == named for s in series):
        return named, True
    oldest = min(series, key=lambda s: s.get("created_at") or 0)["series"] if series else "A"
    return oldest, False


def credit_note_choices(
    team: dict[str, Any], series: list[dict[str, Any]]
) -> tuple[list[tuple[str, str]], str | None]:
    """A credit note's series choices — first gigstack's own pick, named — and, when the team
    has no credit-note series, a hint that says so."""
    name, own = credit_note_default(team, series)
    if own:
        blank = _("%(series)s — the team's series for credit notes", series=name)
        return [("", blank), *series_choices(series)], None
    blank = _("%(series)s — gigstack's pick: the team has no credit-note series", series=name)
    hint = _(
        "This team has no series for credit notes: left as it is, gigstack numbers this one "
        "in %(series)s, like its invoices. Choose another series, or set the team's "
        "credit-note series in its settings.",
        series=name,
    )
    return [("", blank), *series_choices(series)], hint
