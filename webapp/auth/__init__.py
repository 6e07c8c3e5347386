"""Staff accounts, roles, sign-in and the ``flask staff …`` commands."""
