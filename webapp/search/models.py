"""The ``search_entries`` and ``search_sync`` tables: the index and how far each team got.

One row per object gigstack holds for a team (``kind``: team, client, invoice, payment,
receipt), with the keys search looks up and the few fields the attention inbox will read
(statuses, balances, dates, SAT validity). ``text`` is every searchable key folded (no
accents, any case) for contains-search; on PostgreSQL the migration adds a trigram index on
it (``info["dialect"]``: the only index SQLite lacks) and ``varchar_pattern_ops`` indexes on
``uuid`` and ``rfc`` (plain ones on SQLite).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.clock import utcnow
from webapp.dbtypes import UtcDateTime
from webapp.extensions import db

# what a row is (an invoice's CFDI type is in ``invoice_type``)
KINDS = ("team", "client", "invoice", "payment", "receipt")
MONEY = sa.Numeric(18, 2)


def _pattern_ops(column: str) -> dict[str, str]:
    """The operator class that lets a btree index serve ``LIKE 'abc%'`` under any collation."""
    return {column: "varchar_pattern_ops"}


BALANCE_LEFT = Decimal("0.005")  # less than a cent is paid


def is_open_ppd(
    invoice_type: str | None, payment_method: str | None, status: str | None, balance: Any
) -> bool:
    """A valid PPD income invoice with a balance left: what the REP rules and the inbox call
    an open PPD invoice (stored as ``ppd_open`` when the row is written)."""
    return (
        invoice_type == "income"
        and payment_method == "PPD"
        and status == "valid"
        and balance is not None
        and Decimal(balance) > BALANCE_LEFT
    )


class SearchEntry(db.Model):
    """One object of one team, as search and the inbox need it."""

    __tablename__ = "search_entries"
    __table_args__ = (
        sa.UniqueConstraint("team", "kind", "object_id", name="uq_search_entries_object"),
        sa.CheckConstraint(f"kind IN {KINDS!r}", name="ck_search_entries_kind"),
        sa.Index("ix_search_entries_team_kind_created", "team", "kind", "created_at"),
        sa.Index("ix_search_entries_kind_amount", "kind", "amount"),
        # the inbox and the REP monitor: what falls due by date, a client's open invoices,
        # a payment's complement
        sa.Index("ix_search_entries_kind_valid_until", "kind", "valid_until"),
        # a team's client's open PPD invoices, a payment's complement: every column the
        # lookups test is in the index, so even SQLite's planner (no statistics) takes these
        # over the inbox's wider ranges below
        sa.Index("ix_search_entries_team_client", "team", "client_id", "ppd_open", "created_at"),
        sa.Index("ix_search_entries_team_ppd_open", "team", "ppd_open", "created_at"),
        sa.Index(
            "ix_search_entries_team_complement_of",
            "team",
            "complement_of",
            "kind",
            "invoice_type",
            "status",
        ),
        # the inbox across every team, in the order it lists (the first rows of an index
        # range, however many teams): open PPD balances and their ages, payments due,
        # cancellations awaiting the receiver (ordered by the index's own NULLS placement,
        # so it serves the ORDER BY on PostgreSQL and SQLite)
        sa.Index("ix_search_entries_ppd_open", "ppd_open", "created_at"),
        # payments due their complement by collection date, then id: the order the inbox
        # lists them in across every team, and one team's (the REP monitor), each an index
        # range of the due ones alone however many payments are not due
        sa.Index("ix_search_entries_due", "complement_due", "paid_at", "id"),
        sa.Index("ix_search_entries_team_due", "team", "complement_due", "paid_at"),
        sa.Index("ix_search_entries_cancellation", "kind", "cancellation_status", "created_at"),
        # teams not ready to invoice, by name: SQLite's planner takes (kind, name); PostgreSQL's,
        # whose statistics cannot see that team rows are the ones with ``not_ready``, sorted
        # every team row instead (47 ms at 5,000 teams) until given this partial index
        sa.Index("ix_search_entries_kind_name", "kind", "name"),
        sa.Index(
            "ix_search_entries_not_ready",
            "name",
            "id",
            postgresql_where=sa.text("kind = 'team' AND not_ready IS NOT NULL AND not_ready <> ''"),
            info={"dialect": "postgresql"},
        ).ddl_if(dialect="postgresql"),
        # prefix search (``LIKE 'abc%'``) whatever PostgreSQL's collation
        sa.Index("ix_search_entries_uuid_prefix", "uuid", postgresql_ops=_pattern_ops("uuid")),
        sa.Index("ix_search_entries_rfc_prefix", "rfc", postgresql_ops=_pattern_ops("rfc")),
        # contains-search at a million rows (pg_trgm); SQLite's counterpart is an FTS5
        # trigram table kept by triggers (migration b7e4c2d9a318, :mod:`.query`)
        sa.Index(
            "ix_search_entries_text_trgm",
            "text",
            postgresql_using="gin",
            postgresql_ops={"text": "gin_trgm_ops"},
            info={"dialect": "postgresql"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))
    object_id: Mapped[str] = mapped_column(sa.String(128))
    # the keys: fiscal UUID (lower case), series-folio, RFC (upper case), name, e-mail
    uuid: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    folio: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    rfc: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    name: Mapped[str] = mapped_column(sa.String(300), default="")
    email: Mapped[str | None] = mapped_column(sa.String(254), nullable=True)
    amount: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    currency: Mapped[str | None] = mapped_column(sa.String(3), nullable=True)
    status: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # what the inbox reads: the CFDI's type, PUE/PPD, what is left to pay, a cancellation
    # under way, until when it holds (a receipt's validity, a team's CSD), the client's id
    # and its SAT checks (a client's own, or the receiver's on a document)
    invoice_type: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    payment_method: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    last_balance: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    # a valid PPD income invoice with a balance (:func:`is_open_ppd`): one indexed fact, so
    # the inbox reads the oldest open balances of every team without walking the paid ones
    ppd_open: Mapped[bool | None] = mapped_column(nullable=True)
    cancellation_status: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    client_id: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    sat_valid: Mapped[bool | None] = mapped_column(nullable=True)
    efos_valid: Mapped[bool | None] = mapped_column(nullable=True)
    # what the REP rules read: a payment's collection date and automation, the payment a
    # complement is for, how many complements an invoice has, and what a team lacks to
    # invoice (``webapp.teams.readiness``: "fiscal", "csd"; empty when ready)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    automation_type: Mapped[str | None] = mapped_column(sa.String(48), nullable=True)
    complement_of: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    # a payment due its complement (``webapp.rep.monitor.is_due``): a fact of other rows too
    # (its complement, the client's open PPD invoices), stored again by whatever writes
    # or deletes one of them (``webapp.rep.monitor.refresh_due``); NULL on other kinds
    complement_due: Mapped[bool | None] = mapped_column(nullable=True)
    complement_count: Mapped[int | None] = mapped_column(nullable=True)
    not_ready: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    # every key above, folded (webapp.teams.team_index.fold), one per line
    text: Mapped[str] = mapped_column(sa.Text, default="")
    # the sync run that wrote it last (a full pass deletes the rows it did not write)
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class SyncState(db.Model):
    """How far a team's list of one kind was read (``source``: ``client``,
    ``invoice:income``…): the newest ``created_at`` indexed (the next run lists from it)
    and when it was last read, incrementally or in full."""

    __tablename__ = "search_sync"

    team: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    watermark: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    full_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
