"""The audit becomes a hash chain: existing rows are chained in the order they were written, then
PostgreSQL refuses UPDATE and DELETE of audit rows (a trigger; only the documented archive command
may remove entries, and only those already in a recorded archive)."""

import django.utils.timezone
from django.db import migrations, models

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION lms_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'lms_auditentry'
       AND current_setting('lms.audit_archiving', true) = 'on'
       AND OLD.sequence <= COALESCE((SELECT max(last_sequence) FROM lms_auditarchive), 0) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER lms_auditentry_append_only BEFORE UPDATE OR DELETE ON lms_auditentry
    FOR EACH ROW EXECUTE FUNCTION lms_audit_append_only();
CREATE TRIGGER lms_auditarchive_append_only BEFORE UPDATE OR DELETE ON lms_auditarchive
    FOR EACH ROW EXECUTE FUNCTION lms_audit_append_only();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS lms_auditentry_append_only ON lms_auditentry;
DROP TRIGGER IF EXISTS lms_auditarchive_append_only ON lms_auditarchive;
DROP FUNCTION IF EXISTS lms_audit_append_only();
"""


def chain_existing(apps, schema_editor):
    from lms import audit_chain

    AuditEntry = apps.get_model("lms", "AuditEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    labels = {pk: f"{app}.{model}" for pk, app, model in ContentType.objects.values_list("pk", "app_label", "model")}
    previous = audit_chain.GENESIS
    for sequence, entry in enumerate(AuditEntry.objects.order_by("created_at", "pk").iterator(), start=1):
        entry.sequence = sequence
        entry.previous_hash = previous
        entry.data = audit_chain.json_normalised(entry.data)
        content = audit_chain.entry_content(
            sequence=sequence,
            created_at=entry.created_at,
            actor_id=entry.actor_id,
            verb=entry.verb,
            target_type=labels[entry.target_type_id],
            target_id=entry.target_id,
            data=entry.data,
            district_id=entry.district_id,
            cohort_id=entry.cohort_id,
            previous_hash=previous,
        )
        entry.entry_hash = audit_chain.sha256_hex(content)
        entry.save(update_fields=["sequence", "previous_hash", "entry_hash", "data"])
        previous = entry.entry_hash


def install_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:  # no parameters: RAISE's % stays as written
            cursor.execute(APPEND_ONLY_SQL)


def remove_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("lms", "0007_usernames_not_mobiles"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditArchive",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="when")),
                ("first_sequence", models.BigIntegerField(verbose_name="first place")),
                ("last_sequence", models.BigIntegerField(unique=True, verbose_name="last place")),
                ("last_hash", models.CharField(max_length=64, verbose_name="hash of the last entry")),
                ("entries", models.PositiveIntegerField(verbose_name="entries")),
                ("file_name", models.CharField(max_length=255, verbose_name="file")),
                ("file_sha256", models.CharField(max_length=64, verbose_name="SHA-256 of the file")),
                ("signature", models.CharField(max_length=128, verbose_name="signature")),
            ],
            options={
                "verbose_name": "audit archive",
                "verbose_name_plural": "audit archives",
                "ordering": ["-last_sequence"],
            },
        ),
        migrations.CreateModel(
            name="AuditVerification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "created_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="when"),
                ),
                ("ok", models.BooleanField(verbose_name="chain intact")),
                ("entries_checked", models.PositiveIntegerField(default=0, verbose_name="entries checked")),
                ("head_sequence", models.BigIntegerField(blank=True, null=True, verbose_name="last place checked")),
                (
                    "head_hash",
                    models.CharField(blank=True, max_length=64, verbose_name="hash of the last entry checked"),
                ),
                ("problem_sequence", models.BigIntegerField(blank=True, null=True, verbose_name="first broken place")),
                ("problem", models.TextField(blank=True, verbose_name="what was found")),
            ],
            options={
                "verbose_name": "audit verification",
                "verbose_name_plural": "audit verifications",
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="created_at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="when"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="entry_hash",
            field=models.CharField(default="", max_length=64, verbose_name="hash of this entry"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="entry_sm3",
            field=models.CharField(blank=True, max_length=64, verbose_name="SM3 of this entry"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="previous_hash",
            field=models.CharField(default="", max_length=64, verbose_name="hash of the previous entry"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="sequence",
            field=models.BigIntegerField(null=True, verbose_name="place in the chain"),
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditentry",
            name="sequence",
            field=models.BigIntegerField(unique=True, verbose_name="place in the chain"),
        ),
        migrations.RunPython(install_trigger, remove_trigger),
    ]
