"""The attention inbox across teams (``/inbox/``): what needs a person, most urgent first.

Read from the search index (:mod:`webapp.search`) in a bounded number of queries whatever the
number of teams (:mod:`.items`); the REP rules are :mod:`webapp.rep.rules`'s, shared with the
team's REP monitor. Snoozes are the back office's own state (:mod:`.models`).
"""
