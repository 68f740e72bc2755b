"""Database access: pool, embedded server, migrations and the typed query wrappers."""
