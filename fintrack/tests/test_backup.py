"""`manage.py backup`, `restore` and `backup_drill` on the test database's own vendor.

They run on committed data (`transaction=True`): pg_dump and pg_restore are other
processes and only see what is committed.
"""

import hashlib
import io
import json
import subprocess
import tarfile
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from customers.models import Customer
from fintrack.backup import database
from fintrack.backup import drill as drill_module
from fintrack.backup.archive import MANIFEST
from reports.tests.factories import customer, pay, sent

pytestmark = pytest.mark.django_db(transaction=True)
ISSUED = date(2025, 1, 10)
OTHER_VENDOR = {"sqlite": "postgresql", "postgresql": "sqlite"}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    logo = settings.MEDIA_ROOT / "logos" / "acme.png"
    logo.parent.mkdir(parents=True)
    logo.write_bytes(b"\x89PNG fake logo")
    return logo


@pytest.fixture
def books(organization):
    invoice = sent(customer(organization, "Ann", "USD"), "100.00", issue=ISSUED, due=ISSUED)
    pay(invoice, "40.00", ISSUED)
    return invoice


@pytest.fixture
def archive(tmp_path, books, media):
    path = tmp_path / "backup.tar.gz"
    call_command("backup", str(path), stdout=io.StringIO())
    return path


def members(path):
    with tarfile.open(path, "r:gz") as tar:
        return {member.name: tar.extractfile(member).read() for member in tar.getmembers()}


def write_archive(path, manifest, files):
    """An archive with these members, the manifest's checksums made to match them."""
    manifest = {**manifest, "files": {n: hashlib.sha256(b).hexdigest() for n, b in files.items()}}
    with tarfile.open(path, "w:gz") as tar:
        for name, body in {MANIFEST: json.dumps(manifest).encode(), **files}.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return path


def table_counts():
    with connection.cursor() as cursor:
        return database.row_counts(cursor, database.tables(connection))


def restore(path, *args):
    call_command("restore", str(path), *args, stdout=io.StringIO())


def test_the_archive_holds_a_manifest_the_database_and_the_media(archive, media):
    content = members(archive)
    manifest = json.loads(content.pop(MANIFEST))
    assert manifest["format"] == "fintrack-backup"
    assert manifest["format_version"] == 1
    assert manifest["vendor"] == connection.vendor
    assert "invoices.0001_initial" in manifest["migrations"]
    assert manifest["row_counts"] == table_counts()
    assert manifest["row_counts"]["invoices_invoice"] == 1
    assert manifest["row_counts"]["payments_payment"] == 1
    assert content["media/logos/acme.png"] == media.read_bytes()
    assert set(content) == {database.DUMP_MEMBER[connection.vendor], "media/logos/acme.png"}
    assert manifest["files"] == {
        name: hashlib.sha256(body).hexdigest() for name, body in content.items()
    }


def test_restore_brings_back_the_rows_and_files_of_the_backup(archive, media, organization):
    backed_up = table_counts()
    customer(organization, "Added after the backup", "USD")
    media.unlink()
    restore(archive, "--force")
    assert table_counts() == backed_up
    assert not Customer.objects.filter(name="Added after the backup").exists()
    assert media.read_bytes() == b"\x89PNG fake logo"
    call_command("verify_ledger", stdout=io.StringIO())


def test_backup_refuses_to_overwrite_a_file_without_force(tmp_path, books):
    path = tmp_path / "backup.tar.gz"
    path.write_bytes(b"an older backup")
    with pytest.raises(CommandError, match=r"already exists.*--force"):
        call_command("backup", str(path))
    assert path.read_bytes() == b"an older backup"
    call_command("backup", str(path), "--force", stdout=io.StringIO())
    assert MANIFEST in members(path)


def test_restore_refuses_a_database_holding_data_and_changes_nothing(archive, organization):
    customer(organization, "Added after the backup", "USD")
    before = table_counts()
    with pytest.raises(CommandError, match=r"not empty.*--force"):
        restore(archive)
    assert table_counts() == before


def test_restore_refuses_an_altered_archive_and_changes_nothing(archive, tmp_path, media):
    content = members(archive)
    dump_name = database.DUMP_MEMBER[connection.vendor]
    with tarfile.open(tampered := tmp_path / "tampered.tar.gz", "w:gz") as tar:
        for name, body in content.items():
            if name == dump_name:
                body = body[:-1] + bytes([body[-1] ^ 1])
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    media.unlink()
    before = table_counts()
    with pytest.raises(CommandError, match=f"Checksum mismatch for {dump_name}"):
        restore(tampered, "--force")
    assert table_counts() == before
    assert not media.exists()


def test_restore_refuses_a_member_the_manifest_does_not_list(archive, tmp_path):
    content = members(archive)
    with tarfile.open(extra := tmp_path / "extra.tar.gz", "w:gz") as tar:
        for name, body in {**content, "media/../../etc/cron.d/evil": b"x"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    with pytest.raises(CommandError, match="does not match its manifest"):
        restore(extra, "--force")


def test_restore_refuses_a_backup_of_another_database_vendor(archive, tmp_path):
    manifest = json.loads(members(archive)[MANIFEST])
    other = OTHER_VENDOR[connection.vendor]
    foreign = write_archive(
        tmp_path / "foreign.tar.gz",
        {**manifest, "vendor": other},
        {database.DUMP_MEMBER[other]: b"a dump of the other kind"},
    )
    before = table_counts()
    with pytest.raises(CommandError, match=f"backup of a {other} database"):
        restore(foreign, "--force")
    assert table_counts() == before


def test_restore_refuses_a_backup_made_by_a_newer_version(archive, tmp_path):
    content = members(archive)
    manifest = json.loads(content.pop(MANIFEST))
    manifest["migrations"].append("invoices.9999_from_the_future")
    newer = write_archive(tmp_path / "newer.tar.gz", manifest, content)
    with pytest.raises(CommandError, match=r"newer version.*invoices.9999_from_the_future"):
        restore(newer, "--force")


@pytest.mark.parametrize("body", [b"not a tar file", None])
def test_restore_refuses_what_is_not_a_backup(tmp_path, body):
    path = tmp_path / "something.tar.gz"
    if body is None:
        write_archive(path, {"format": "something else"}, {})
    else:
        path.write_bytes(body)
    with pytest.raises(CommandError, match=r"not a readable backup|Not a backup"):
        restore(path)


def test_restore_of_a_missing_file_says_so(tmp_path):
    with pytest.raises(CommandError, match="There is no backup at"):
        restore(tmp_path / "nowhere.tar.gz")


# The CI budget (spec 20) runs the drill's tests on PostgreSQL only; `.ci/backup_drill`
# drills a SQLite database too.
@pytest.mark.postgres
def test_the_drill_fails_when_the_restored_ledger_is_not_clean(books, monkeypatch):
    """The steps' exit codes decide: a dirty ledger in the scratch database fails it."""
    real_manage = drill_module._manage

    def manage(command, env):
        if command[0] == "verify_ledger":
            return subprocess.CompletedProcess(command, 1, "1 violation", "")
        return real_manage(command, env)

    monkeypatch.setenv("SECRET_KEY", "drill-test-secret-key-" + "x" * 40)
    monkeypatch.setattr(drill_module, "_manage", manage)
    with pytest.raises(CommandError, match="`verify_ledger` failed"):
        call_command("backup_drill", stdout=io.StringIO())


@pytest.mark.postgres
def test_the_drill_passes_on_a_clean_database(books, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "drill-test-secret-key-" + "x" * 40)
    out = io.StringIO()
    call_command("backup_drill", stdout=out)
    assert "Backup drill passed" in out.getvalue()
    assert "Ledger OK" in out.getvalue()
