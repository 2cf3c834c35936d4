"""Model fields for personal data kept encrypted in the database (NIK, KK).

``EncryptedTextField`` stores its value encrypted with the newest key of ``HUB_FIELD_KEY_FILE``
(AES-256-GCM, see :mod:`hub.core.fieldkeys`) and gives the plain text back when read. The
database, its backups and a stolen SD card's copy hold only ciphertext; the key file holds
the rest, which is why the backup encrypts it separately (docs/operations.md).

An encrypted value cannot be searched (the same NIK encrypts differently each time), so a
field that must be found by exact value gets a companion ``BlindIndexField``: a keyed HMAC of
the value, computed on save, looked up with :func:`encrypted_lookup`::

    class LetterRequest(models.Model):
        nik = EncryptedTextField(_("NIK"), blank=True)
        nik_index = BlindIndexField(source="nik")

    LetterRequest.objects.filter(encrypted_lookup(LetterRequest, "nik", "3201…"))

Store the normalised value (``nik_validate(raw).value``): the index matches exact values only.
``save(update_fields=[...])`` must name the index field with its source.

The value is authenticated together with its context, ``<app_label>.<model>.<field>``, so a
ciphertext copied into another column does not decrypt. Renaming the model or the field changes
the context: keep the old one with ``context="…"`` on the field.
"""

from django.apps import apps
from django.core import checks
from django.core.exceptions import FieldDoesNotExist, FieldError
from django.db import connections, models, router, transaction
from django.db.models import Q

from .fieldkeys import keyring, split_stored


class EncryptedTextField(models.TextField):
    """Text encrypted at rest; only ``isnull`` lookups (search through a blind index)."""

    description = "Text encrypted at rest with the hub's field key"

    def __init__(self, *args, context: str = "", **kwargs):
        self.context = context
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.context:
            kwargs["context"] = self.context
        return name, path, args, kwargs

    @property
    def crypto_context(self) -> str:
        return self.context or f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return keyring().decrypt(value, self.crypto_context)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return keyring().encrypt(str(value), self.crypto_context)

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            raise FieldError(
                f"{self.model._meta.label}.{self.name} is encrypted: it cannot be filtered with "
                f"'{lookup_name}'. Give it a BlindIndexField and use encrypted_lookup()."
            )
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name):
        return None


class BlindIndexField(models.CharField):
    """A keyed HMAC (hex) of an ``EncryptedTextField``'s value, for exact lookups; set on save."""

    description = "Blind index of an encrypted field"

    def __init__(self, *args, source: str, **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        try:
            source = self.model._meta.get_field(self.source)
        except FieldDoesNotExist:
            source = None
        if not isinstance(source, EncryptedTextField):
            errors.append(
                checks.Error(
                    f"BlindIndexField {self.name}: source '{self.source}' is not an "
                    "EncryptedTextField of this model.",
                    obj=self,
                    id="balai.E011",
                )
            )
        return errors

    def index_of(self, instance) -> str:
        value = getattr(instance, self.source)
        if value in (None, ""):
            return ""
        source = self.model._meta.get_field(self.source)
        return keyring().blind_index(str(value), source.crypto_context)

    def pre_save(self, model_instance, add):
        value = self.index_of(model_instance)
        setattr(model_instance, self.attname, value)
        return value


def blind_index_field_for(model, field_name: str) -> BlindIndexField:
    for field in model._meta.concrete_fields:
        if isinstance(field, BlindIndexField) and field.source == field_name:
            return field
    raise FieldError(f"{model._meta.label}.{field_name} has no BlindIndexField.")


def encrypted_lookup(model, field_name: str, value: str) -> Q:
    """A filter for rows whose encrypted ``field_name`` equals ``value`` exactly.

    Matches the index under every key of the key file, so rows written before a rotation and
    not yet re-encrypted are found too.
    """
    index = blind_index_field_for(model, field_name)
    context = model._meta.get_field(field_name).crypto_context
    return Q(**{f"{index.name}__in": keyring().blind_indexes(str(value), context)})


def encrypted_fields_of(model) -> list[EncryptedTextField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def encrypted_models() -> list[tuple[type[models.Model], list[EncryptedTextField]]]:
    return [
        (model, fields) for model in apps.get_models() if (fields := encrypted_fields_of(model))
    ]


def encrypted_rows_reencrypt(*, model=None, dry_run: bool = False, batch: int = 200) -> int:
    """Rewrite every encrypted value not written with the newest key (and its blind index).

    Reads the raw column to find the key each value was written with, so rows already on the
    newest key cost nothing and a second run changes nothing. Writes with ``update()``: the
    plain text does not change, so a synced record keeps its rev and is not sent again.
    Returns the number of rows rewritten (or that would be, with ``dry_run``).
    """
    targets = [(model, encrypted_fields_of(model))] if model else encrypted_models()
    newest = keyring().newest.id
    rewritten = 0
    for target, fields in targets:
        connection = connections[router.db_for_write(target)]
        quote = connection.ops.quote_name
        # Names from the model, quoted: nothing in this query comes from outside.
        columns = ", ".join(quote(f.column) for f in (target._meta.pk, *fields))
        table = quote(target._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM {table}")  # noqa: S608
            stale = [
                row[0]
                for row in cursor.fetchall()
                if any(value and split_stored(value)[1] != newest for value in row[1:])
            ]
        rewritten += len(stale)
        if dry_run:
            continue
        indexes = [f for f in target._meta.concrete_fields if isinstance(f, BlindIndexField)]
        manager = target._base_manager.using(connection.alias)
        for start in range(0, len(stale), batch):
            with transaction.atomic(using=connection.alias):
                for obj in manager.filter(pk__in=stale[start : start + batch]):
                    values = {f.attname: getattr(obj, f.attname) for f in fields}
                    values.update({f.attname: f.index_of(obj) for f in indexes})
                    manager.filter(pk=obj.pk).update(**values)
    return rewritten
