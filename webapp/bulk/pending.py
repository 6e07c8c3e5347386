"""A client's pending receipts stamped until none remain, as a job.

gigstack's ``POST /clients/{id}/stamp-pending-receipts`` takes up to 100 of the client's
pending receipts, oldest first, and answers with each one's result and how many remain. The
job lists the pending receipts once (its items, oldest first, one thread so in that order);
the first item no call has answered yet makes the next call, whose results settle the next
hundred items. The call carries no key, but it is safe to repeat: a receipt it stamped is no
longer pending, so a call made again after a restart takes the next ones, and an item no call
answered is read back (``GET /receipts/{id}``) to say how it ended.

Upstream calls: ``GET /receipts?status=pending&client_id=`` pages (the plan); one
``POST /clients/{id}/stamp-pending-receipts`` per hundred; a ``GET /receipts/{id}`` for an item
none of this run's calls answered.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from webapp.gigstack import GigstackError
from webapp.gigstack.errors import Unavailable
from webapp.i18n import gettext as _
from webapp.jobs.kinds import Item, JobKind, Outcome, Planned, failed, ok, register, skipped
from webapp.jobs.models import Job
from webapp.jobs.runner import Work

NAME = "client_receipts"


class ClientReceipts(JobKind):
    name = NAME
    role = "operator"
    threads = 1  # one call at a time, items in the order gigstack stamps them

    def title(self, job: Job) -> str:
        who = job.params.get("client_name") or job.params.get("client", "")
        return _("The pending receipts of %(client)s", client=who)

    def plan(self, work: Work) -> Iterator[Planned]:
        client_id = work.job.params["client"]
        rows = work.walk(work.client().receipts.list, status="pending", client_id=client_id)
        for receipt in rows:
            if receipt.get("status") == "pending" and receipt.get("id"):
                label = f"{receipt.get('total', '')} {receipt.get('currency') or ''}".strip()
                yield Planned(key=receipt["id"], label=label)

    def run_item(self, work: Work, item: Item) -> Outcome:
        answered: dict[str, dict[str, Any]] = work.memo.setdefault("answered", {})
        if item.key not in answered and not work.memo.get("stalled"):
            self._stamp_next(work, answered)
        row = answered.get(item.key)
        if row is None:
            return self._read_back(work, item)
        if row.get("status") == "stamped":
            return ok(invoice=row.get("invoice_uuid") or "")
        return failed((row.get("error") or {}).get("message") or _("gigstack did not stamp it"))

    def _stamp_next(self, work: Work, answered: dict[str, dict[str, Any]]) -> None:
        """One call: the next (up to) hundred pending receipts. A refusal (the client's fiscal
        data) is every item's answer: no call is made again for each."""
        if refused := work.memo.get("refused"):
            raise refused
        try:
            result = work.call(
                work.client().clients.stamp_pending_receipts, work.job.params["client"]
            )
        except Unavailable:
            raise
        except GigstackError as error:
            work.memo["refused"] = error
            raise
        for row in result.get("results") or []:
            answered[str(row.get("receipt_id"))] = row
        work.memo["remaining"] = result.get("remaining") or 0
        if not result.get("stamped"):  # nothing moved: calling again would answer the same
            work.memo["stalled"] = True

    def _read_back(self, work: Work, item: Item) -> Outcome:
        """An item no call of this run answered: stamped before a restart, cancelled or
        expired meanwhile, or left behind receipts gigstack could not stamp."""
        receipt = work.call(work.client().receipts.get, item.key)
        status = receipt.get("status")
        if status == "completed":
            return ok(invoice=receipt.get("invoice_id") or "")
        if status == "pending":
            return failed(_("gigstack did not stamp it: the receipts before it could not be."))
        return skipped(_("It is no longer pending."), status=status or "")

    def finish(self, work: Work) -> None:
        """Receipts that became pending while the job ran: more calls until none remain (or
        a call stamps nothing); how many, kept with the job."""
        later = 0
        while work.memo.get("remaining") and not work.memo.get("stalled"):
            work.check_going()
            result = work.call(
                work.client().clients.stamp_pending_receipts, work.job.params["client"]
            )
            later += result.get("stamped") or 0
            work.memo["remaining"] = result.get("remaining") or 0
            if not result.get("stamped"):
                break
        if later:
            work.save_state(stamped_later=later)


CLIENT_RECEIPTS = register(ClientReceipts())
