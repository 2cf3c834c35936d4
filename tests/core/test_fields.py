"""The encrypted field on a real SQLite table: ciphertext at rest, tampering, rotation, lookup."""

import io

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, models
from django.test.utils import isolate_apps

from hub.core.checks import field_key_check
from hub.core.fieldkeys import FieldDecryptionError, keyring, new_key_line
from hub.core.fields import BlindIndexField, EncryptedTextField, encrypted_lookup
from hub.core.fields import encrypted_rows_reencrypt as reencrypt

NIK = "3201011505900001"
OTHER_NIK = "3201015505900002"

with isolate_apps("tests.core"):

    class Petition(models.Model):
        """A test-only model: no app of the project uses the field yet."""

        nik = EncryptedTextField(blank=True)
        nik_index = BlindIndexField(source="nik")
        kk = EncryptedTextField(blank=True, null=True)

        class Meta:
            app_label = "core"

        def __str__(self):
            return f"Petition {self.pk}"


@pytest.fixture(scope="module")
def petition_table(django_db_setup, django_db_blocker):
    # A real table in the test database, made outside the per-test transaction (SQLite cannot
    # change its schema inside one) and kept for the module; each test's rows are rolled back.
    with django_db_blocker.unblock():
        with connection.schema_editor() as editor:
            editor.create_model(Petition)
        yield
        with connection.schema_editor() as editor:
            editor.delete_model(Petition)


@pytest.fixture
def key_file(tmp_path, settings):
    path = tmp_path / "field_key"
    path.write_text(new_key_line() + "\n")
    settings.HUB_FIELD_KEY_FILE = path
    return path


@pytest.fixture
def petitions(petition_table, key_file, db):
    return Petition.objects


def _raw(pk) -> tuple[str, str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nik, nik_index, kk FROM core_petition WHERE id = %s", [pk])
        return cursor.fetchone()


def _raw_set(pk, column: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE core_petition SET {column} = %s WHERE id = %s", [value, pk])  # noqa: S608


def test_the_database_holds_no_plain_text(petitions):
    # when two rows hold the same NIK
    first = petitions.create(nik=NIK, kk="3201012003150007")
    second = petitions.create(nik=NIK)
    # then the columns hold versioned ciphertext naming the key, different each time
    nik, index, kk = _raw(first.pk)
    assert NIK not in nik and "3201012003150007" not in kk and NIK not in index
    assert nik.startswith(f"balai1:{keyring().newest.id}:")
    assert _raw(second.pk)[0] != nik
    # and the same blind index, which is not the ciphertext
    assert _raw(second.pk)[1] == index and len(index) == 64
    # and the model reads the plain text back
    assert petitions.get(pk=first.pk).nik == NIK
    assert petitions.get(pk=first.pk).kk == "3201012003150007"
    assert petitions.get(pk=second.pk).kk is None


def test_the_blind_index_finds_a_row_by_exact_value(petitions):
    # given
    wanted = petitions.create(nik=NIK)
    petitions.create(nik=OTHER_NIK)
    petitions.create(nik="")
    # when
    found = list(petitions.filter(encrypted_lookup(Petition, "nik", NIK)))
    # then
    assert found == [wanted]
    assert not petitions.filter(encrypted_lookup(Petition, "nik", "3201011505900009")).exists()
    # and a plain filter, which could never match, is refused instead of finding nothing
    with pytest.raises(FieldError, match="encrypted"):
        petitions.filter(nik=NIK).exists()
    assert petitions.filter(kk__isnull=True).count() == 3


def test_a_flipped_byte_fails_loudly(petitions):
    # given a stored value with one byte of its ciphertext changed
    row = petitions.create(nik=NIK)
    stored = _raw(row.pk)[0]
    flipped = stored[:-5] + ("A" if stored[-5] != "A" else "B") + stored[-4:]
    _raw_set(row.pk, "nik", flipped)
    # when it is read, then it is refused
    with pytest.raises(FieldDecryptionError, match="authentication"):
        petitions.get(pk=row.pk)


def test_a_value_copied_into_another_column_does_not_decrypt(petitions):
    # given the NIK's ciphertext pasted into the KK column
    row = petitions.create(nik=NIK, kk="3201012003150007")
    _raw_set(row.pk, "kk", _raw(row.pk)[0])
    # then
    with pytest.raises(FieldDecryptionError):
        petitions.get(pk=row.pk)


def test_plain_text_in_an_encrypted_column_is_refused(petitions):
    row = petitions.create(nik=NIK)
    _raw_set(row.pk, "nik", NIK)
    with pytest.raises(FieldDecryptionError, match="balai1"):
        petitions.get(pk=row.pk)


def test_rotation_keeps_old_values_readable_and_reencrypts_them(petitions, key_file):
    # given a row written with the first key
    old = petitions.create(nik=NIK)
    old_kid = keyring().newest.id
    # when a key is added
    out = io.StringIO()
    call_command("field_keys_rotate", stdout=out)
    new_kid = keyring().newest.id
    assert new_kid != old_kid and f"Added key {new_kid}" in out.getvalue()
    assert len(keyring().keys) == 2
    new = petitions.create(nik=NIK)
    # then new writes use it, and both rows are read and found by the index
    assert _raw(new.pk)[0].startswith(f"balai1:{new_kid}:")
    assert petitions.get(pk=old.pk).nik == NIK
    assert set(petitions.filter(encrypted_lookup(Petition, "nik", NIK))) == {old, new}
    # when the old rows are re-encrypted
    assert reencrypt(model=Petition, dry_run=True) == 1
    assert reencrypt(model=Petition) == 1
    # then they are on the new key, a second run has nothing to do
    assert _raw(old.pk)[0].startswith(f"balai1:{new_kid}:")
    assert _raw(old.pk)[1] == _raw(new.pk)[1]
    assert reencrypt(model=Petition) == 0
    # and the old key can go: everything still reads and is found
    key_file.write_text(key_file.read_text().splitlines()[-1] + "\n")
    assert [p.nik for p in petitions.order_by("pk")] == [NIK, NIK]
    assert petitions.filter(encrypted_lookup(Petition, "nik", NIK)).count() == 2


def test_a_value_of_a_removed_key_says_which_key_is_missing(petitions, key_file):
    # given a row written with a key that is then replaced by another
    row = petitions.create(nik=NIK)
    kid = keyring().newest.id
    key_file.write_text(new_key_line() + "\n")
    # then
    with pytest.raises(FieldDecryptionError, match=f"key {kid}"):
        petitions.get(pk=row.pk)


def test_a_missing_key_file_is_a_startup_error_and_a_clear_one_at_first_use(
    petitions, settings, tmp_path
):
    # given
    settings.HUB_FIELD_KEY_FILE = tmp_path / "absent"
    # when the system checks run for an app with an encrypted field
    errors = field_key_check(app_configs=[Petition._meta.apps.get_app_config("core")])
    # then
    assert [e.id for e in errors] == ["balai.E010"]
    assert "absent" in errors[0].msg and "core.Petition.nik" in errors[0].hint
    # and a write says what is wrong
    with pytest.raises(ImproperlyConfigured, match="HUB_FIELD_KEY_FILE=.*absent"):
        petitions.create(nik=NIK)


def test_the_check_passes_with_a_key_and_ignores_apps_without_encrypted_fields(
    key_file, settings, tmp_path
):
    assert field_key_check(app_configs=[Petition._meta.apps.get_app_config("core")]) == []
    settings.HUB_FIELD_KEY_FILE = tmp_path / "absent"
    # an app with no encrypted field needs no key (egov.letters has some: it would need one)
    assert field_key_check(app_configs=[django_apps.get_app_config("marketplace")]) == []
    assert field_key_check(app_configs=[django_apps.get_app_config("egov_letters")])


def test_a_malformed_key_file_is_refused_without_quoting_it(key_file):
    # given a key with its last characters lost
    key_file.write_text("# field key\n" + new_key_line()[:30] + "\n")
    # when
    with pytest.raises(ImproperlyConfigured) as refused:
        keyring()
    # then
    assert "Line 2" in str(refused.value)
    assert key_file.read_text().splitlines()[1] not in str(refused.value)


def test_rotation_refuses_to_make_a_key_file_from_nothing(settings, tmp_path):
    settings.HUB_FIELD_KEY_FILE = tmp_path / "absent"
    with pytest.raises(CommandError, match="restore the key file"):
        call_command("field_keys_rotate")
    assert not (tmp_path / "absent").exists()
