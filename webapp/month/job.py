"""The accountant's month as a job: list the month's CFDI of each team, fetch each one's XML
and PDF (kept in the file store until the ZIP is made), then one ZIP per team.

Upstream calls: per team ``GET /teams/{id}`` (its RFC: the files' names) and the month's
``GET /invoices/{income|egress|payment}?created[gte]&created[lte]`` pages; per CFDI
``GET /invoices/{uuid}/files`` and the XML and PDF at their signed URLs. Read-only: a CFDI
fetched twice (its worker died before recording it) is still one file in the ZIP.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa

from webapp.clock import utcnow
from webapp.gigstack.errors import NotFound
from webapp.gigstack.timestamps import to_datetime
from webapp.i18n import gettext as _
from webapp.invoices.routes import download_name
from webapp.jobs.kinds import Item, JobKind, Outcome, Planned, failed, ok, register, skipped
from webapp.jobs.models import Job, JobFile
from webapp.jobs.runner import Work

from . import pack, periods
from .cfdi import UnreadableCfdi, read_cfdi

NAME = "month_export"
KINDS = ("income", "egress", "payment")
STATUSES = ("valid", "cancelled")


def kind_labels() -> dict[str, str]:
    return {"income": _("income"), "egress": _("egress"), "payment": _("payment complements")}


def status_labels() -> dict[str, str]:
    return {"valid": _("valid"), "cancelled": _("cancelled")}


def listed(kind: str, invoice: dict[str, Any]) -> dict[str, Any]:
    """What an item keeps of a listed CFDI (its status, series-folio, cancellation)."""
    return {
        "kind": kind,
        "status": invoice.get("status") or "",
        "series": invoice.get("series") or "",
        "folio_number": invoice.get("folio_number") or "",
        "cancelled_at": _iso(invoice.get("cancelled_at")),
        "motive": invoice.get("cancellation_motive") or "",
    }


def _iso(value: Any) -> str:
    moment = to_datetime(value) if value not in (None, "") else None
    return moment.isoformat() if isinstance(moment, datetime) else ""


class MonthExport(JobKind):
    name = NAME
    role = "viewer"

    def title(self, job: Job) -> str:
        first = periods.parse(job.params.get("month"))
        month = periods.label(first) if first else job.params.get("month", "")
        teams = job.params.get("teams") or []
        if job.team is None:
            return _(
                "The accountant's month, %(month)s (%(count)s teams)", month=month, count=len(teams)
            )
        return _("The accountant's month, %(month)s", month=month)

    def teams(self, job: Job) -> list[str]:
        return [job.team] if job.team else list(job.params.get("teams") or [])

    # -- listing ------------------------------------------------------------------------

    def plan(self, work: Work) -> Iterator[Planned]:
        params = work.job.params
        first = periods.parse(params["month"])
        start, end = periods.bounds(first)
        statuses = [s for s in STATUSES if s in params.get("statuses", STATUSES)]
        issuers: dict[str, dict[str, str]] = {}
        for team in self.teams(work.job):
            client = work.client(team)
            issuers[team] = self.issuer(work, team)
            for kind in (k for k in KINDS if k in params.get("kinds", KINDS)):
                for invoice in self._listed(work, client, kind, start, end, statuses):
                    yield self.planned(team, kind, invoice)
        work.save_state(issuers=issuers)

    @staticmethod
    def issuer(work: Work, team: str) -> dict[str, str]:
        """The team's RFC (the files' names) and name (the note), from ``GET /teams/{id}``."""
        details = work.call(work.client(team).teams.get, team)
        return {
            "rfc": details.get("tax_id") or "",
            "name": ((details.get("brand") or {}).get("alias") or details.get("legal_name"))
            or team,
        }

    def _listed(self, work: Work, client: Any, kind: str, start, end, statuses) -> Iterator[dict]:
        """Every CFDI of ``kind`` created in the month with one of ``statuses``."""
        status = statuses[0] if len(statuses) == 1 else None
        rows = work.walk(
            partial(client.invoices.list, kind), status=status, created_gte=start, created_lte=end
        )
        return (row for row in rows if row.get("status") in statuses and row.get("uuid"))

    @staticmethod
    def planned(team: str, kind: str, invoice: dict[str, Any]) -> Planned:
        """A CFDI as an item: what its files' names and the summary need of the listing."""
        folio = "-".join(
            str(part) for part in (invoice.get("series"), invoice.get("folio_number")) if part
        )
        return Planned(key=invoice["uuid"], label=folio, team=team, data=listed(kind, invoice))

    # -- one CFDI -----------------------------------------------------------------------

    def run_item(self, work: Work, item: Item) -> Outcome:
        return self.files_of(work, item, item.data)

    def files_of(self, work: Work, item: Item, data: dict[str, Any]) -> Outcome:
        """The CFDI's XML and PDF staged in the file store (``data``: what its listing said)."""
        if data.get("status") not in STATUSES:
            return skipped(_("not stamped"), **data)
        client = work.client(item.team)
        issuer = (work.job.state.get("issuers") or {}).get(item.team, {}).get("rfc", "")
        named = {"uuid": item.key, "series": data["series"], "folio_number": data["folio_number"]}
        links = work.call(client.invoices.files, item.key)
        if "xml" not in links:
            return failed(_("gigstack has no XML for this CFDI"))
        xml = work.call(client.invoices.download_file, item.key, "xml", links=links)
        try:
            summary = read_cfdi(xml.content)
        except UnreadableCfdi as problem:
            return failed(_("its XML could not be read: %(why)s", why=str(problem)))
        staged = f"jobs/{work.job_id}/staging/{item.key}"
        work.store.put_bytes(f"{staged}.xml", xml.content)
        result: dict[str, Any] = {
            **data,
            "cfdi": summary.to_dict(),
            "xml": download_name(named, issuer, "xml"),
            "xml_key": f"{staged}.xml",
        }
        try:
            if "pdf" not in links:
                raise NotFound("no PDF file", code="file_not_found")
            pdf = work.call(client.invoices.download_file, item.key, "pdf", links=links)
        except NotFound as missing:
            result["pdf_missing"] = missing.message
        else:
            work.store.put_bytes(f"{staged}.pdf", pdf.content)
            result |= {"pdf": download_name(named, issuer, "pdf"), "pdf_key": f"{staged}.pdf"}
        return ok(**result)

    # -- the ZIPs -----------------------------------------------------------------------

    def finish(self, work: Work) -> None:
        job = work.job
        issuers = job.state.get("issuers") or {}
        for team in self.teams(job):
            work.check_going()
            issuer = issuers.get(team) or {"rfc": "", "name": team}
            work.now_doing(issuer["name"])
            path, _contents = pack.build(
                lambda team=team: work.item_results(team), work.store, self.describe(job, team)
            )
            try:
                name = self.zip_name(job, issuer)
                key = f"jobs/{job.id}/{team}/{name}"
                size = work.store.put_path(key, path)
            finally:
                os.unlink(path)
            with work.db() as conn:  # made again after a restart: one row per file still
                conn.execute(sa.delete(JobFile.__table__).where(JobFile.__table__.c.key == key))
                conn.execute(
                    sa.insert(JobFile.__table__).values(
                        job_id=job.id,
                        team=team,
                        name=name,
                        key=key,
                        size=size,
                        created_at=utcnow(),
                        expires_at=utcnow() + timedelta(days=work.settings["JOBS_FILES_DAYS"]),
                    )
                )

    def describe(self, job: Job, team: str) -> dict[str, Any]:
        """What the note says of the ZIP: month, team, RFC, what went in, who asked."""
        first = periods.parse(job.params["month"])
        issuer = (job.state.get("issuers") or {}).get(team) or {"rfc": "", "name": team}
        kinds, statuses = kind_labels(), status_labels()
        month = periods.label(first)
        included = {
            "kinds": ", ".join(kinds[k] for k in KINDS if k in job.params.get("kinds", ())),
            "statuses": ", ".join(
                statuses[s] for s in STATUSES if s in job.params.get("statuses", ())
            ),
        }
        return {
            "heading": [
                _(
                    "CFDI of %(month)s — %(team)s (RFC %(rfc)s)",
                    month=month,
                    team=issuer["name"],
                    rfc=issuer["rfc"] or "—",
                ),
                _("Period: %(month)s, whole days in Mexico City time.", month=month),
                _("Included: %(kinds)s; %(statuses)s.", **included),
            ],
            "who": job.actor,
        }

    def zip_name(self, job: Job, issuer: dict[str, str]) -> str:
        return f"{issuer['rfc'] or 'RFC'}_{periods.key(periods.parse(job.params['month']))}.zip"


MONTH = register(MonthExport())
