"""Backups that can be restored: `manage.py backup`, `restore` and `backup_drill`.

An archive is one `.tar.gz` holding

- `manifest.json`: format and version, when, the database vendor, the applied migrations,
  every table's row count, and the SHA-256 of every other member;
- the database: `database.pgdump` (PostgreSQL, `pg_dump --format=custom`) or
  `database.sqlite3` (SQLite, a copy made through its online backup API);
- `media/...`: the uploaded files under `MEDIA_ROOT`.

The row counts are taken from the very state that is dumped (PostgreSQL: the dump runs on
the counting transaction's exported snapshot; SQLite: counted in the copy), so a restore
can prove it brought back every row.
"""


class BackupError(Exception):
    """A refusal or failure, worded for the operator."""
