"""The search index's one form: start its sync (a one-time token: two clicks, one job)."""

from __future__ import annotations

from webapp import once
from webapp.forms import CreateForm


class SyncForm(CreateForm):
    """Nothing to choose: the teams are the page's (one team, or every team allowed)."""

    @classmethod
    def offered(cls) -> SyncForm:
        form = cls(formdata=None)
        form.once.data = once.issue()
        return form
