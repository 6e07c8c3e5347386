"""Sales receipts of a team (REFERENCE §6): list, detail, create, stamp, cancel. Mounted at
``/teams/<team_id>/receipts``."""
