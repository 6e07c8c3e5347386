"""The bulk actions of the lists as jobs: download chosen invoices as one ZIP, send them by
e-mail, cancel them with one motive; stamp chosen pending receipts; cancel chosen receipts or
payments.

Each lists its items once: the picks as they are, or every row matching the list's filters
(:func:`webapp.bulk.selection.matching`, page by page). A write that gigstack answers 409 is
read back: already in the state asked for (done before the job, or by a try a restart cut
short) is "skipped" with why — never done twice, never counted as this job's failure.

Upstream calls per item: download — the invoice (picks only), ``GET /invoices/{uuid}/files``
and the XML and PDF; send — ``POST /invoices/{uuid}/send`` (the client's addresses); cancel
— ``DELETE /invoices/{uuid}`` (``/receipts/{id}``, ``/payments/{id}``); stamp —
``POST /receipts/{id}/stamp``; and on a 409 one ``GET`` of the object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from webapp.gigstack.errors import Conflict, NotFound
from webapp.i18n import gettext as _
from webapp.invoices.lookup import kind_of
from webapp.jobs.kinds import Item, JobKind, Outcome, Planned, ok, register, skipped
from webapp.jobs.models import Job
from webapp.jobs.runner import Work
from webapp.month.job import MonthExport, listed

from . import selection
from .selection import INVOICE_KINDS


def _label(of: str, row: dict[str, Any]) -> str:
    if of == "invoices":
        return "-".join(str(p) for p in (row.get("series"), row.get("folio_number")) if p)
    return f"{row.get('total', '')} {row.get('currency') or ''}".strip()


def planned(work: Work) -> Iterator[Planned]:
    """The job's items: each pick, or each row matching the list's filters (with what the
    listing said of it: its status, its invoice type)."""
    params = work.job.params
    of = params["of"]
    if not params.get("every"):
        yield from (
            Planned(key=pick, data={"kind": params.get("kind", "")}) for pick in params["picks"]
        )
        return
    for row in selection.matching(work, params):
        key = row.get("uuid") if of == "invoices" else row.get("id")
        if key:
            data = listed(kind_of(row), row) if of == "invoices" else {"status": row.get("status")}
            yield Planned(key=str(key), label=_label(of, row), data=data)


def invoice_of(work: Work, uuid: str, kind: str) -> dict[str, Any]:
    """A picked invoice, asked for as the list's ``kind`` first; a pick from a search (every
    type on one page) may be of another, asked for next — in a job, never in a request."""
    client = work.client()
    for each in dict.fromkeys([kind or "income", *INVOICE_KINDS]):
        try:
            return work.call(client.invoices.get, uuid, each)
        except NotFound as missing:
            last = missing
    raise last


def read_back(
    conflict: Conflict, get: Callable[[], dict[str, Any]], done: str, why: str
) -> Outcome:
    """A 409: the object already in state ``done`` is skipped with ``why``; else gigstack's
    refusal is the item's result. ``get`` reads it (its calls paced by ``work``)."""
    found = get()
    if found.get("status") == done:
        return skipped(why)
    raise conflict


def count_of(job: Job) -> int:
    """How many it acts on: as listed once planned, as the confirmation said before."""
    return job.total if job.planned else int(job.params.get("count") or 0)


class BulkKind(JobKind):
    """Lists its items from the selection (picks, or every row matching the filters)."""

    def plan(self, work: Work) -> Iterator[Planned]:
        return planned(work)


class BulkDownload(MonthExport):
    """The chosen invoices' XML and PDF in one ZIP, made as the accountant's month makes its
    own (the same folders, names, resumen.csv and LEEME.txt)."""

    name = "bulk_download"
    role = "viewer"

    def title(self, job: Job) -> str:
        return _("%(count)s invoices as a ZIP", count=count_of(job))

    def teams(self, job: Job) -> list[str]:
        return [job.team] if job.team else []

    def plan(self, work: Work) -> Iterator[Planned]:
        work.save_state(issuers={work.job.team: self.issuer(work, work.job.team)})
        for item in planned(work):
            yield Planned(item.key, item.label, work.job.team, item.data)

    def run_item(self, work: Work, item: Item) -> Outcome:
        data = item.data
        if "status" not in data:  # a pick: its listing is read now
            invoice = invoice_of(work, item.key, data.get("kind") or "income")
            data = listed(kind_of(invoice), invoice)
        return self.files_of(work, item, data)

    def describe(self, job: Job, team: str) -> dict[str, Any]:
        issuer = (job.state.get("issuers") or {}).get(team) or {"rfc": "", "name": team}
        return {
            "heading": [
                _(
                    "CFDI chosen on the invoices list — %(team)s (RFC %(rfc)s)",
                    team=issuer["name"],
                    rfc=issuer["rfc"] or "—",
                ),
                _("%(count)s chosen.", count=job.total),
            ],
            "who": job.actor,
        }

    def zip_name(self, job: Job, issuer: dict[str, str]) -> str:
        return f"{issuer['rfc'] or 'RFC'}_seleccion_{job.id}.zip"


class BulkSend(BulkKind):
    """Each chosen invoice e-mailed to its client's addresses (e-mail and bcc)."""

    name = "bulk_send"
    role = "operator"

    def title(self, job: Job) -> str:
        return _("%(count)s invoices sent by e-mail", count=count_of(job))

    def run_item(self, work: Work, item: Item) -> Outcome:
        if item.data.get("status") not in (None, "valid", "cancelled"):
            return skipped(_("It is not stamped."))
        sent = work.call(work.client().invoices.send, item.key)
        return ok(recipients=", ".join(sent.get("recipients") or []))


class BulkCancel(BulkKind):
    """Each chosen invoice cancelled with one motive (02–04), or each receipt or payment."""

    name = "bulk_cancel"
    role = "operator"

    def title(self, job: Job) -> str:
        of, count = job.params.get("of"), count_of(job)
        if of == "receipts":
            return _("%(count)s receipts cancelled", count=count)
        if of == "payments":
            return _("%(count)s payments cancelled", count=count)
        motive = job.params.get("motive", "")
        return _("%(count)s invoices cancelled (motive %(motive)s)", count=count, motive=motive)

    def run_item(self, work: Work, item: Item) -> Outcome:
        of, client = work.job.params["of"], work.client()
        if item.data.get("status") == "cancelled":
            return skipped(_("It was already cancelled."))
        try:
            if of == "invoices":
                done = work.call(client.invoices.cancel, item.key, work.job.params["motive"])
                return ok(cancellation=done.get("cancellation_status") or "")
            cancel = client.receipts.cancel if of == "receipts" else client.payments.cancel
            work.call(cancel, item.key)
            return ok()
        except Conflict as conflict:
            return read_back(
                conflict,
                lambda: self._get(work, client, of, item),
                "cancelled",
                _("It was already cancelled."),
            )

    @staticmethod
    def _get(work: Work, client: Any, of: str, item: Item) -> dict[str, Any]:
        if of == "invoices":
            return invoice_of(work, item.key, item.data.get("kind") or "income")
        return work.call(client.receipts.get if of == "receipts" else client.payments.get, item.key)


class BulkStamp(BulkKind):
    """Each chosen pending receipt stamped: its own income invoice (PUE)."""

    name = "bulk_stamp"
    role = "operator"

    def title(self, job: Job) -> str:
        return _("%(count)s receipts stamped", count=count_of(job))

    def run_item(self, work: Work, item: Item) -> Outcome:
        status = item.data.get("status")
        if status not in (None, "pending"):
            return skipped(_("It is not pending."))
        client = work.client()
        try:
            stamped = work.call(client.receipts.stamp, item.key)
        except Conflict as conflict:
            return read_back(
                conflict,
                lambda: work.call(client.receipts.get, item.key),
                "completed",
                _("It was already stamped."),
            )
        return ok(invoice=stamped.get("invoice_id") or "")


DOWNLOAD = register(BulkDownload())
SEND = register(BulkSend())
CANCEL = register(BulkCancel())
STAMP = register(BulkStamp())
KINDS = {"download": DOWNLOAD, "send": SEND, "cancel": CANCEL, "stamp": STAMP}
