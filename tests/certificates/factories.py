from courses.models import Lesson, LessonCompletion


def complete_all_lessons(enrolment) -> None:
    """Mark every lesson of the enrolment's cohort done (directly: setup, not the flow under test)."""
    lessons = Lesson.objects.filter(module__cohort_id=enrolment.cohort_id)
    LessonCompletion.objects.bulk_create(
        [LessonCompletion(enrolment=enrolment, lesson=lesson) for lesson in lessons], ignore_conflicts=True
    )


def unpublished_key(issuer_name: str = "佛山市南海区民政局", owner: str = "attacker"):
    """A key pair this site never published (an attacker's, or a host's own), with the same issuer name."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from certificates import signing

    private_pem, certificate_pem = signing.key_material(issuer_name=issuer_name)
    public = signing.PublicKey(
        district_code=owner,
        certificate_pem=certificate_pem,
        certificate=x509.load_pem_x509_certificate(certificate_pem),
        number=99,
    )
    return signing.DistrictKey(public=public, private_key=serialization.load_pem_private_key(private_pem, None))
