"""One blueprint per API resource, each mounted under ``/v2``."""
