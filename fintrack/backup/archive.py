"""Write a backup archive, and check and restore one (the layout: fintrack/backup/__init__)."""

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

import django
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from fintrack.backup import BackupError, database

FORMAT = "fintrack-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA = "media"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def media_files() -> dict[str, Path]:
    """`{archive name: file}` for every regular file under MEDIA_ROOT (links left out)."""
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return {}
    return {
        f"{MEDIA}/{path.relative_to(root).as_posix()}": path
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


# --- backup -----------------------------------------------------------------------------


def create_backup(path, *, force=False, using=DEFAULT_DB_ALIAS) -> dict:
    """Write the database and MEDIA_ROOT to the archive `path`; return its manifest."""
    path = Path(path)
    if path.exists() and not force:
        raise BackupError(f"{path} already exists: choose another name or pass --force.")
    connection = connections[using]
    dump_name = database.DUMP_MEMBER.get(connection.vendor)
    if dump_name is None:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {connection.vendor}.")
    with tempfile.TemporaryDirectory(prefix="fintrack-backup-") as work:
        dump_file = Path(work) / dump_name
        counts = database.dump(connection, dump_file)
        members = {dump_name: dump_file, **media_files()}
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "vendor": connection.vendor,
            "django_version": django.get_version(),
            "migrations": database.applied_migrations(connection),
            "row_counts": counts,
            "files": {name: sha256_of(file) for name, file in members.items()},
        }
        # Written beside the target and renamed: a crash never leaves half an archive
        # under the name an operator would restore from.
        partial = path.with_name(f".{path.name}.partial")
        with tarfile.open(partial, "w:gz") as archive:
            body = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(body), int(timezone.now().timestamp())
            archive.addfile(info, io.BytesIO(body))
            for name, file in members.items():
                archive.add(file, arcname=name, recursive=False)
        os.replace(partial, path)
    return manifest


# --- reading an archive -----------------------------------------------------------------


def _safe_member_name(name: str, dump_name: str) -> bool:
    parts = PurePosixPath(name).parts
    if name == dump_name:
        return True
    return (
        len(parts) > 1
        and parts[0] == MEDIA
        and not PurePosixPath(name).is_absolute()
        and ".." not in parts
    )


def _checked_manifest(manifest) -> dict:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("Not a backup of this product: its manifest is missing or foreign.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"Backup format version {manifest.get('format_version')} is not supported "
            f"(this version reads {FORMAT_VERSION})."
        )
    vendor = manifest.get("vendor")
    if vendor not in database.DUMP_MEMBER:
        raise BackupError(f"The manifest names an unknown database vendor {vendor!r}.")
    for key in ("row_counts", "files", "migrations"):
        if key not in manifest:
            raise BackupError(f"The manifest lacks {key!r}.")
    return manifest


def read_archive(path, work: Path) -> dict:
    """Unpack `path` into `work`, checking every member against the manifest."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"There is no backup at {path}.")
    try:
        archive = tarfile.open(path, "r:gz")  # noqa: SIM115 - closed by the with below
    except (tarfile.TarError, OSError) as error:
        raise BackupError(f"{path} is not a readable backup archive: {error}") from error
    with archive:
        try:
            members = {member.name: member for member in archive.getmembers()}
            if MANIFEST not in members:
                raise BackupError(f"{path} has no {MANIFEST}: not a backup of this product.")
            manifest = _checked_manifest(json.load(archive.extractfile(members[MANIFEST])))
            listed = manifest["files"]
            unlisted = sorted(set(members) - set(listed) - {MANIFEST})
            missing = sorted(set(listed) - set(members))
            if unlisted or missing:
                raise BackupError(
                    f"The archive does not match its manifest (unlisted: {unlisted}, "
                    f"missing: {missing})."
                )
            dump_name = database.DUMP_MEMBER[manifest["vendor"]]
            if dump_name not in listed:
                raise BackupError(f"The archive holds no database dump ({dump_name}).")
            for name, expected in listed.items():
                member = members[name]
                if not member.isfile() or not _safe_member_name(name, dump_name):
                    raise BackupError(f"The archive member {name!r} is not allowed.")
                target = work / name
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.extractfile(member) as source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out)
                if sha256_of(target) != expected:
                    raise BackupError(
                        f"Checksum mismatch for {name}: the archive is damaged or was altered."
                    )
        except (tarfile.TarError, OSError, EOFError, ValueError) as error:
            raise BackupError(f"{path} is damaged: {error}") from error
    return manifest


# --- restore ----------------------------------------------------------------------------


def _unknown_migrations(manifest) -> list[str]:
    """Migrations the backup's database had that this code does not know (a newer version
    made the backup)."""
    known = {f"{app}.{name}" for app, name in MigrationLoader(None).disk_migrations}
    return sorted(set(manifest["migrations"]) - known)


def count_differences(expected: dict, connection) -> list[str]:
    present = set(database.tables(connection))
    differences = [f"{table}: missing" for table in sorted(set(expected) - present)]
    with connection.cursor() as cursor:
        counts = database.row_counts(cursor, sorted(set(expected) & present))
    differences += [
        f"{table}: {counts[table]} rows, the backup has {rows}"
        for table, rows in sorted(expected.items())
        if table in counts and counts[table] != rows
    ]
    return differences


def restore_media(work: Path, manifest) -> int:
    root = Path(settings.MEDIA_ROOT)
    names = [name for name in manifest["files"] if name.startswith(f"{MEDIA}/")]
    for name in names:
        target = root / PurePosixPath(name).relative_to(MEDIA)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(work / name, target)
    return len(names)


def restore_backup(path, *, force=False, using=DEFAULT_DB_ALIAS) -> dict:
    """Check the archive, then replace the database (and write the media files) with it.

    Refused before anything is written: a damaged or altered archive, a backup of another
    database vendor or of a newer version, and a target holding data without `force`.
    """
    connection = connections[using]
    with tempfile.TemporaryDirectory(prefix="fintrack-restore-") as work:
        work = Path(work)
        manifest = read_archive(path, work)
        if manifest["vendor"] != connection.vendor:
            raise BackupError(
                f"This is a backup of a {manifest['vendor']} database; the configured "
                f"database is {connection.vendor}. Restore it into a {manifest['vendor']} "
                "database (DATABASE_URL)."
            )
        unknown = _unknown_migrations(manifest)
        if unknown:
            raise BackupError(
                "A newer version made this backup (migrations unknown here: "
                f"{', '.join(unknown)}). Restore it with that version."
            )
        if not force:
            holding = database.tables_with_data(connection)
            if holding:
                raise BackupError(
                    f"The database {connection.settings_dict['NAME']} is not empty "
                    f"({', '.join(holding[:5])}{', ...' if len(holding) > 5 else ''} hold "
                    "rows). Restore into an empty database, or pass --force to replace "
                    "everything in it."
                )
        database.restore(connection, work / database.DUMP_MEMBER[manifest["vendor"]])
        manifest["media_restored"] = restore_media(work, manifest)
    differences = count_differences(manifest["row_counts"], connection)
    if differences:
        raise BackupError(
            "Restored, but the row counts differ from the backup's: " + "; ".join(differences)
        )
    return manifest
