"""Background work (DESIGN.md, "Background work"): the queue, job state, progress widgets and
the files jobs make. A job is a list of items with per-item results; kinds of job (the
accountant's month, bulk actions) say how to list and do their items (:mod:`.kinds`), the
machinery here does the rest (:mod:`.runner`)."""
