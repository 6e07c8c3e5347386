"""Every action the audit log records, declared once.

A view's action is ``<object>.<action>`` after DESIGN.md's vocabulary (``new`` → ``create``,
``edit`` → ``update``, ``delete``, or the verb's own name); ``tests/app/test_vocabulary.py``
fails on an action recorded anywhere that is not declared here. ``RENAMED`` keeps the names
earlier versions wrote: a migration moved those rows to the new names, and
:func:`current_name` reads any that arrive later (a restored backup) the same way.
"""

from __future__ import annotations

ACTIONS: frozenset[str] = frozenset(
    {
        # sign-in and the frame
        "auth.sign_in",
        "auth.sign_out",
        "team.open",
        "team.switch",
        "team.pin",
        "team.unpin",
        "staff.language",
        # staff accounts (screens and `flask staff …`)
        "staff.create",
        "staff.update",
        "staff.activate",
        "staff.deactivate",
        "staff.reset_password",
        "staff.set_role",
        "staff.set_teams",
        "staff.purge_demo",
        # teams
        "team.create",
        "team.update",
        "team.delete",
        "team.update_settings",
        "team.upload_csd",
        "team.onboarding_link",
        "series.create",
        "series.update",
        "member.create",
        "member.update",
        "member.delete",
        "user.create",
        "user.update",
        "user.login_link",
        "user.reset_password",
        # clients and services
        "client.create",
        "client.update",
        "client.delete",
        "client.upload_csf",
        "client.update_csf",
        "client.confirm_csf",
        "client.export_csv",
        "client.portal_link",
        "client.validate",
        "client.stamp_pending_receipts",
        "service.create",
        "service.update",
        "service.delete",
        # documents and money
        "invoice.create",
        "invoice.send",
        "invoice.cancel",
        "invoice.credit_note",
        "payment.create",
        "payment.request",
        "payment.mark_paid",
        "payment.refund",
        "payment.cancel",
        "receipt.create",
        "receipt.stamp",
        "receipt.cancel",
        "webhook.create",
        "webhook.update",
        "webhook.delete",
        # background jobs (webapp/jobs): started by staff, ended by a worker
        "job.start",
        "job.retry",
        "job.finish",
        # the attention inbox (the back office's own state)
        "inbox.snooze",
    }
)

# old name → current name
RENAMED: dict[str, str] = {
    "client.export": "client.export_csv"
    # "client.csf" was three screens' action; it maps by row, not by name: a row whose outcome
    # starts "refused_locally:" is client.upload_csf (no object_id) or client.update_csf (an
    # object_id), any other row is client.confirm_csf
}


def current_name(action: str) -> str:
    """The name an action has today (old rows may carry an earlier one)."""
    return RENAMED.get(action, action)


def recorded_as(action: str) -> list[str]:
    """Every name rows of ``action`` may carry: today's and the earlier ones."""
    return [action, *(old for old, new in RENAMED.items() if new == action)]
