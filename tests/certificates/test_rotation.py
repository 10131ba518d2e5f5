"""Keys with a history: rotation keeps every earlier certificate verifiable; a compromised key refuses what it
signed from then on; every check picks the key the signature names, never "the current key"."""

import io
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from certificates import credentials, services, signing
from certificates.models import Certificate, CertificateStatus, SigningKey
from tests.certificates.conftest import certificate_bytes
from tests.certificates.factories import complete_all_lessons
from tests.courses.factories import EnrolmentFactory
from tests.lms.factories import UserFactory

pytestmark = pytest.mark.django_db
PYHANKO = str(Path(sys.executable).parent / "pyhanko")


@pytest.fixture
def english_pages(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def issue_one(w, full_name: str) -> Certificate:
    enrolment = EnrolmentFactory(cohort=w.cohort, community=w.community, trainee=UserFactory(full_name=full_name))
    complete_all_lessons(enrolment)
    services.certificate_issue_batch(cohort=w.cohort, actor=w.staff, enrolment_ids=[enrolment.pk])
    certificate = Certificate.objects.get(enrolment=enrolment)
    services.certificate_render(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.ISSUED
    return certificate


def keygen(*args, **options) -> str:
    out = io.StringIO()
    call_command("certificates_keygen", *args, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def rotated(certified_world):
    """Issue with key 1, rotate, issue with key 2: the district's own keys."""
    w = certified_world
    code = w.district.code
    keygen(district=code, issuer="佛山市南海区民政局")
    w.first = issue_one(w, "陈一")
    out = keygen(district=code, rotate=True)
    assert "retired" in out and "/keys/2" in out
    w.second = issue_one(w, "陈二")
    return w


def pyhanko_validates(tmp_path, pdf: bytes, trust: Path) -> str:
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        [PYHANKO, "sign", "validate", "--pretty-print", "--trust", str(trust), "--trust-replace", str(path)],
        capture_output=True,
        text=True,
    )
    return result.stdout


def test_issue_rotate_issue_both_verify_in_pyhanko_against_the_published_pems(rotated, client, tmp_path):
    w = rotated
    code = w.district.code
    keys = SigningKey.objects.filter(owner=code.lower()).order_by("number")
    assert [(k.number, k.usable) for k in keys] == [(1, False), (2, True)]
    assert keys[0].retired_at is not None and keys[0].compromised_since is None
    assert (w.first.signing_key.number, w.second.signing_key.number) == (1, 2)
    pem = client.get(f"/issuers/{code}/certificate.pem")
    assert pem.status_code == 200 and pem.content.count(b"BEGIN CERTIFICATE") == 2
    for number, certificate in ((1, w.first), (2, w.second)):
        trust = tmp_path / f"key{number}.pem"
        trust.write_bytes(client.get(f"/issuers/{code}/keys/{number}/certificate.pem").content)
        report = pyhanko_validates(tmp_path, certificate_bytes(certificate), trust)
        assert "The signature is judged VALID." in report and "covers the entire file" in report, report
    # The district's one PEM file (every key that ever signed) vouches for both, as the README's check uses it.
    combined = tmp_path / "all.pem"
    combined.write_bytes(pem.content)
    for certificate in (w.first, w.second):
        assert "judged VALID" in pyhanko_validates(tmp_path, certificate_bytes(certificate), combined)
    # The other key's certificate does not vouch for it: each PDF names its own key.
    other = tmp_path / "key2.pem"
    assert "judged VALID" not in pyhanko_validates(tmp_path, certificate_bytes(w.first), other)


def test_both_pass_the_upload_check_and_each_page_prints_the_key_that_signed_it(rotated, client, english_pages):
    w = rotated
    first_key, second_key = (signing.public_key_of(c.signing_key) for c in (w.first, w.second))
    assert first_key.fingerprint != second_key.fingerprint
    for certificate, key, other in ((w.first, first_key, second_key), (w.second, second_key, first_key)):
        response = client.post("/verify/check/", {"file": SimpleUploadedFile("c.pdf", certificate_bytes(certificate))})
        page = response.content.decode()
        assert response.status_code == 200 and 'data-genuine="yes"' in page, page
        assert key.fingerprint in page
        verify_page = client.get(f"/verify/{certificate.code}/").content.decode()
        assert key.fingerprint in verify_page and other.fingerprint not in verify_page


def test_both_credentials_verify_in_openbadgeslib_with_the_published_jwks(rotated, client):
    from cryptography.hazmat.primitives import serialization
    from jwcrypto import jwk
    from openbadgeslib.ob3.verifier import OB3Verifier

    w = rotated
    published = client.get(f"/issuers/{w.district.code}/jwks.json").json()["keys"]
    code = w.district.code.lower()
    assert [k["kid"] for k in published] == [signing.key_uri(code, 1), signing.key_uri(code, 2)]
    for certificate in (w.first, w.second):
        envelope = signing.credential_in_pdf(certificate_bytes(certificate))
        token = json.loads(envelope)["id"].removeprefix(credentials.ENVELOPE_PREFIX)
        kid = json.loads(jwk.base64url_decode(token.split(".")[0]))["kid"]
        assert kid == signing.public_key_of(certificate.signing_key).kid
        # The kid is a URI that dereferences to the key.
        assert client.get(kid.removeprefix(signing.base_url())).json()["kid"] == kid
        [entry] = [k for k in published if k["kid"] == kid]
        pem = (
            jwk.JWK(**entry)
            .get_op_key("verify")
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        badge = OB3Verifier(pem).verify(token)
        assert badge.issuer.id == credentials.issuer_id(w.district.code)


def test_a_credential_whose_kid_names_no_published_key_is_refused(rotated, client):
    w = rotated
    kid = signing.key_uri(w.district.code.lower(), 9)
    assert client.get(kid.removeprefix(signing.base_url())).status_code == 404
    key = signing.district_key_of(w.second.signing_key)
    document = credentials.credential_document(
        certificate=w.second, district_code=w.district.code, issuer_name=key.issuer_name
    )
    from jwcrypto import jwt

    claims = {**document, "iss": document["issuer"]["id"], "jti": document["id"]}
    token = jwt.JWT(header={"alg": "RS256", "typ": "JWT", "kid": kid}, claims=claims)
    token.make_signed_token(key.private_jwk)
    from django.utils import translation

    with translation.override("en"), pytest.raises(credentials.CredentialRefused, match="not signed by a key this"):
        credentials.verify_credential(credentials.envelope(token.serialize()))


def test_a_rotation_with_no_key_yet_is_refused_and_makes_nothing(certified_world):
    before = SigningKey.objects.count()
    with pytest.raises(CommandError, match="no signing key to rotate yet"):
        keygen(district=certified_world.district.code, rotate=True)
    assert SigningKey.objects.count() == before


def test_compromised_since_in_the_future_is_refused_and_changes_nothing(rotated):
    code = rotated.district.code
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    with pytest.raises(CommandError, match="is in the future"):
        keygen(district=code, compromised_since=tomorrow)
    with pytest.raises(CommandError, match="not a date"):
        keygen(district=code, compromised_since="yesterday")
    assert not SigningKey.objects.filter(compromised_since__isnull=False).exists()


def test_certificates_signed_after_the_compromise_are_refused_and_listed_for_reissue(
    certified_world, client, english_pages
):
    w = certified_world
    code = w.district.code
    keygen(district=code, issuer="佛山市南海区民政局")
    before = issue_one(w, "陈早")
    after = issue_one(w, "陈晚")
    out = keygen(district=code, compromised_since=after.rendered_at.isoformat(), key=1)
    assert "1 certificates to reissue: " + after.serial in out
    assert f"certificates_keygen --district {code.lower()} --rotate" in out  # no usable key: what to do
    good = client.post("/verify/check/", {"file": SimpleUploadedFile("c.pdf", certificate_bytes(before))})
    assert good.status_code == 200 and 'data-genuine="yes"' in good.content.decode()
    bad = client.post("/verify/check/", {"file": SimpleUploadedFile("c.pdf", certificate_bytes(after))})
    page = bad.content.decode()
    assert bad.status_code == 422 and 'data-genuine="no"' in page
    assert "signed with a key reported compromised since" in page and "must reissue" in page
    assert 'data-testid="compromised"' in client.get(f"/verify/{after.code}/").content.decode()
    before_page = client.get(f"/verify/{before.code}/").content.decode()
    assert 'data-testid="compromised"' not in before_page and "Valid certificate" in before_page
    assert list(Certificate.objects.signed_after_compromise()) == [after]
    assert [c.signed_after_compromise for c in (before, Certificate.objects.get(pk=after.pk))] == [False, True]
    client.force_login(w.staff)
    district_page = client.get(f"/districts/{w.district.pk}/certificate/").content.decode()
    assert after.serial in district_page and before.serial not in district_page
    # Issuing now is refused at once (no usable key) until the operator rotates.
    with pytest.raises(Exception, match="no usable signing key"):
        issue_one(w, "陈新")
    keygen(district=code, rotate=True)
    assert issue_one(w, "陈新").signing_key.number == 2


def test_migrate_moves_file_based_keys_into_the_database_and_records_what_they_signed(
    signed_certificate, tmp_path, settings
):
    """A deployment from before: a district's key in files, certificates issued with it, no key rows."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("certificates.migrations.0003_signing_keys")
    code = signed_certificate.cohort.district.code.lower()
    private_pem, certificate_pem = signing.key_material(issuer_name="佛山市南海区民政局")
    folder = tmp_path / "keys" / code
    folder.mkdir(parents=True)
    (folder / signing.KEY_FILE).write_bytes(private_pem)
    (folder / signing.CERTIFICATE_FILE).write_bytes(certificate_pem)
    Certificate.objects.update(signing_key=None)
    SigningKey.objects.all().delete()
    settings.LMS_SIGNING_KEY_DIR = tmp_path / "keys"
    migration.files_to_database(apps, None)
    row = SigningKey.objects.get()
    assert (row.owner, row.number, row.usable) == (code, 1, True)
    assert b"PRIVATE KEY" not in bytes(row.private_key)
    assert signing.load_district_key(code).public.certificate_pem == certificate_pem
    signed_certificate.refresh_from_db()
    assert signed_certificate.signing_key == row
    migration.files_to_database(apps, None)  # run twice: nothing more
    assert SigningKey.objects.count() == 1
