"""The REP monitor: payment complements (REP) a team owes SAT. Mounted at
``/teams/<team_id>/rep``."""
