"""The accountant's month: a team's CFDI of one month (XML and PDF), a summary and a note,
in one ZIP made by a background job (``/teams/<team>/exports/month``); for partners, the same
month for several teams, one ZIP each (``/exports/month``)."""
