"""Payments of a team (REFERENCE §5): list, detail, request a link, register money received,
mark as paid, refund, cancel. Mounted at ``/teams/<team_id>/payments``."""
