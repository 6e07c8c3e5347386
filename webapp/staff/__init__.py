"""Staff management in the dashboard (admins only): the web side of ``flask staff …``."""
