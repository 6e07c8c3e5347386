"""The sale-form kit: what income and egress invoices, credit notes, payments and receipts
share — the form base and the items editor (:mod:`.forms`, :mod:`.items`), the draft every
request rebuilds (services, client, items, totals) and the create answer (:mod:`.context`),
the list's date filter (:mod:`.lists`). Each area keeps only its own rules."""
