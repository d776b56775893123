"""The application service and everything about storage: the only package that knows which
database is underneath (embedded SQLite files by default, PostgreSQL when configured)."""
