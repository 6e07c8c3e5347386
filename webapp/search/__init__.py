"""Search across teams (DESIGN.md, "What it is": a derived copy, never the system of record).

A local index of what search and the attention inbox need of each team's teams, clients,
invoices, payments and receipts (:mod:`.models`), filled by a background job
(:mod:`.sync`: first every page, then by created date from a watermark; a nightly full
pass catches changes and deletions) and read by the search page (:mod:`.query`,
:mod:`.routes`). Rebuildable from gigstack at any time: no XML, no PDF, no secret.
"""
