"""Open Badges 3.0 credentials: content, signature with the published key, download, refusals."""

import base64
import datetime
import io
import json

import pytest
from jwcrypto import jwk, jwt

from certificates import credentials, signing
from tests.certificates.conftest import certificate_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def embedded(certificate) -> bytes:
    return signing.check_pdf(certificate_bytes(certificate), keys=[]).credential


def published_key(client, district_code) -> jwk.JWK:
    """The key as anyone gets it: the district's public JWKS, no login."""
    response = client.get(f"/issuers/{district_code}/jwks.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/jwk-set+json")
    [key] = response.json()["keys"]
    assert "d" not in key and "p" not in key  # public only
    return jwk.JWK(**key)


def test_embedded_credential_is_an_open_badge_verified_with_the_published_key(signed_certificate, client):
    certificate = signed_certificate
    envelope = json.loads(embedded(certificate))
    assert envelope["type"] == "EnvelopedVerifiableCredential"
    token = envelope["id"].removeprefix("data:application/vc+jwt,")
    district = certificate.cohort.district.code
    verified = jwt.JWT(jwt=token, key=published_key(client, district), algs=["RS256"])
    claims = json.loads(verified.claims)
    assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert claims["issuer"]["id"] == claims["iss"] == f"http://127.0.0.1:8000/issuers/{district}/"
    assert claims["id"] == claims["jti"] == f"http://127.0.0.1:8000/verify/{certificate.code}/"
    achievement = claims["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "CertificateOfCompletion"
    assert achievement["name"] == certificate.course_title and certificate.cohort_name in achievement["description"]
    assert claims["credentialSubject"]["identifier"][0]["identityHash"] == "刘䶮"
    assert claims["credentialStatus"] == {
        "id": f"http://127.0.0.1:8000/verify/{certificate.code}/status/",
        "type": "1EdTechRevocationList",
    }
    assert "13800138000" not in json.dumps(claims)  # never the mobile number


def test_trainee_downloads_the_same_credential_and_nobody_else_can(signed_certificate, client, certified_world):
    url = f"/certificates/{signed_certificate.pk}/credential.json"
    assert client.get(url).status_code == 302  # login first
    client.force_login(certified_world.trainee)  # another trainee of the cohort
    assert client.get(url).status_code == 404
    client.force_login(certified_world.done.trainee)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response.content == embedded(signed_certificate)
    assert "credential.json" in response["Content-Disposition"]
    assert f'href="{url}"' in client.get("/certificates/").content.decode()


def other_key(tmp_path) -> signing.DistrictKey:
    from tests.certificates.factories import unpublished_key

    return unpublished_key()


def resigned(certificate, key, *, kid=None, **extra) -> bytes:
    """The certificate's credential signed again with `key`, optionally naming another key's kid."""
    document = credentials.credential_document(
        certificate=certificate, district_code=certificate.cohort.district.code, issuer_name=key.issuer_name
    )
    claims = {**document, "iss": document["issuer"]["id"], "jti": document["id"], **extra}
    token = jwt.JWT(header={"alg": "RS256", "typ": "JWT", "kid": kid or key.public.kid}, claims=claims)
    token.make_signed_token(key.private_jwk)
    return credentials.envelope(token.serialize())


def test_credential_signed_by_another_key_is_refused(signed_certificate, tmp_path):
    attacker = other_key(tmp_path)
    with pytest.raises(credentials.CredentialRefused, match="not signed by a key this site publishes"):
        credentials.verify_credential(resigned(signed_certificate, attacker))
    genuine_kid = signing.load_public_key(signed_certificate.cohort.district.code).kid
    with pytest.raises(credentials.CredentialRefused, match="does not match the district's key"):
        credentials.verify_credential(resigned(signed_certificate, attacker, kid=genuine_kid))


def test_expired_credential_is_refused(signed_certificate):
    key = signing.load_district_key(signed_certificate.cohort.district.code)
    yesterday = int((datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)).timestamp())
    with pytest.raises(credentials.CredentialRefused, match="expired"):
        credentials.verify_credential(resigned(signed_certificate, key, exp=yesterday))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xfe", "not UTF-8"),
        (b"{not json", "not valid JSON"),
        (b'{"type": "OpenBadgeCredential"}', "does not carry a signed credential"),
        (b"eyJhbGciOiJSUzI1NiJ9.e30", "not a signed JWT"),
        (b"eyJhbGciOiJub25lIn0.e30.x", "not signed with RS256"),
    ],
)
def test_malformed_credentials_are_refused_with_the_reason(data, reason, english):
    with pytest.raises(credentials.CredentialRefused, match=reason):
        credentials.verify_credential(data)


def test_a_tampered_payload_breaks_the_signature(signed_certificate):
    token = json.loads(embedded(signed_certificate))["id"].removeprefix(credentials.ENVELOPE_PREFIX)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["credentialSubject"]["identifier"][0]["identityHash"] = "张三"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(credentials.CredentialRefused, match="does not match"):
        credentials.verify_credential(f"{header}.{forged}.{signature}".encode())


def test_published_pem_and_jwks_are_the_same_key_and_need_no_login(signed_certificate, client):
    from cryptography import x509

    district = signed_certificate.cohort.district.code
    pem = client.get(f"/issuers/{district}/certificate.pem")
    assert pem.status_code == 200 and pem.content.startswith(b"-----BEGIN CERTIFICATE-----")
    certificate = x509.load_pem_x509_certificate(pem.content)
    key = published_key(client, district)
    assert key.thumbprint() == jwk.JWK.from_pyca(certificate.public_key()).thumbprint()
    everything = client.get("/.well-known/jwks.json").json()["keys"]
    assert key["kid"] in {k["kid"] for k in everything}
    assert key["kid"] == signing.public_key_of(signed_certificate.signing_key).kid
    assert key["kid"].endswith("/issuers/_deployment/keys/1")  # a URI naming the key (the deployment's here)
    profile = client.get(f"/issuers/{district}/").json()
    assert profile["type"] == "Profile" and profile["id"].endswith(f"/issuers/{district}/")
    assert client.get("/issuers/nowhere/jwks.json").status_code == 404
    assert io.BytesIO(pem.content).read()  # served as a file


def test_verify_page_prints_the_fingerprint_of_the_published_certificate(signed_certificate, client):
    district = signed_certificate.cohort.district.code
    key = signing.load_public_key(district)
    fingerprint = key.fingerprint
    page = client.get(f"/verify/{signed_certificate.code}/").content.decode()
    assert fingerprint in page and f"/issuers/{key.district_code}/keys/{key.number}/certificate.pem" in page
    line_prefix = fingerprint[:23]
    assert line_prefix in signing.signature_line(signing.load_district_key(district))


def test_the_credential_ends_the_activity_with_the_cohort_and_its_file_dates_are_utc(signed_certificate):
    """activityEndDate is the cohort's end (not the issue date); the embedded file's dates carry a "Z" and are UTC."""
    from pyhanko.pdf_utils.generic import NameObject
    from pyhanko.pdf_utils.reader import PdfFileReader

    token = json.loads(embedded(signed_certificate))["id"].split(",", 1)[1]
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    cohort = signed_certificate.cohort
    assert claims["credentialSubject"]["activityEndDate"] == credentials.issued_at(cohort.ends_on).isoformat()
    reader = PdfFileReader(io.BytesIO(certificate_bytes(signed_certificate)))
    spec = reader.root["/Names"]["/EmbeddedFiles"]["/Names"][1].get_object()
    params = spec["/EF"][NameObject("/F")].get_object()["/Params"]
    day = signed_certificate.issued_on
    start = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    expected = start.astimezone(datetime.UTC).strftime("D:%Y%m%d%H%M%SZ")
    assert str(params["/CreationDate"]) == expected == str(params["/ModDate"])
    assert expected.endswith("160000Z")  # midnight in Shanghai is 16:00 the day before in UTC
