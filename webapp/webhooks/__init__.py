"""Webhooks of a team (REFERENCE §10): list, create, edit, delete. Mounted at
``/teams/<team_id>/webhooks``."""
