"""What the dashboard and the sandbox both know of Mexican e-invoicing, in one place.

Pure Python (no Flask, nothing of the dashboard or of the sandbox): the money and tax
arithmetic of documents (:mod:`.money`, REFERENCE §1.10) and the shapes of RFCs (:mod:`.rfc`).
The sandbox computes and checks with it what gigstack would; the dashboard previews and
checks the same numbers and rules before it sends anything. Catalogue lookups (regimes, uses,
taxes) stay in :mod:`webapp.catalogs`, which both read as well.
"""
