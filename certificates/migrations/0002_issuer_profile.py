import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def templates_to_districts(apps, schema_editor):
    """A course's template becomes the wording of each district running the course; the issuing body
    is the course's only where one district runs it (else the district's name: it was wrong before)."""
    CertificateTemplate = apps.get_model("certificates", "CertificateTemplate")
    IssuerProfile = apps.get_model("certificates", "IssuerProfile")
    Cohort = apps.get_model("courses", "Cohort")
    District = apps.get_model("lms", "District")
    templates = {t.course_id: t for t in CertificateTemplate.objects.all()}
    for district in District.objects.all():
        courses = list(
            Cohort.objects.filter(district=district).values_list("course_id", flat=True).distinct().order_by("course_id")
        )
        if not courses:
            continue
        template = next((templates[c] for c in courses if c in templates), None)
        name = district.name
        for course_id in courses:
            Course = apps.get_model("courses", "Course")
            course = Course.objects.get(pk=course_id)
            runs = Cohort.objects.filter(course_id=course_id).values("district_id").distinct().count()
            if course.issuing_body and runs == 1:
                name = course.issuing_body
                break
        IssuerProfile.objects.get_or_create(
            district=district,
            defaults={
                "name": name,
                "html": template.html if template else "",
                "css": template.css if template else "",
                "updated_by_id": template.updated_by_id if template else None,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0001_initial"),
        ("courses", "0006_preview_state"),
        ("lms", "0006_places_retired"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="IssuerProfile",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "name",
                    models.CharField(
                        help_text="The full name, e.g. 佛山市顺德区民政局.", max_length=128, verbose_name="issuing body"
                    ),
                ),
                (
                    "short_name",
                    models.CharField(blank=True, help_text="e.g. 顺德区民政局.", max_length=32, verbose_name="short name"),
                ),
                ("seal", models.BinaryField(blank=True, default=b"", editable=False, verbose_name="seal image")),
                ("seal_type", models.CharField(blank=True, max_length=16, verbose_name="seal image type")),
                ("html", models.TextField(blank=True, verbose_name="HTML")),
                ("css", models.TextField(blank=True, verbose_name="CSS")),
                (
                    "district",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="issuer_profile",
                        to="lms.district",
                        verbose_name="district",
                    ),
                ),
                (
                    "updated_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"verbose_name": "issuing body", "verbose_name_plural": "issuing bodies"},
        ),
        migrations.RunPython(templates_to_districts, migrations.RunPython.noop),
        migrations.DeleteModel(name="CertificateTemplate"),
    ]
