"""Open Badges 3.0 credentials: an OpenBadgeCredential per certificate, signed as a VC-JWT (RS256).

The trainee is named as on the certificate and never by the mobile number. The JWT payload is the
credential itself plus the registered claims iss (issuer id), jti (credential id = the verification
URL) and nbf (validFrom); its header names the district key by kid, a URI (.../issuers/<code>/keys/<n>)
that dereferences to the key, published with every other key of the district at /issuers/<code>/jwks.json.
The file handed out and embedded in the PDF is the W3C VC 2.0
"EnvelopedVerifiableCredential" JSON that carries the JWT.
"""

import base64
import binascii
import datetime
import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from certificates import rendering, signing
from lms.json_input import JsonTooDeep, json_depth_check, json_loads, too_deep_message

CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
MEDIA_TYPE = "application/vc+jwt"
ENVELOPE_PREFIX = f"data:{MEDIA_TYPE},"


def base_url() -> str:
    return settings.LMS_PUBLIC_BASE_URL.rstrip("/")


def issuer_id(district_code: str) -> str:
    return f"{base_url()}/issuers/{district_code.lower()}/"


def status_url(code: str) -> str:
    return f"{rendering.verify_url(code)}status/"


def issued_at(issued_on: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(issued_on, datetime.time(), tzinfo=ZoneInfo(settings.TIME_ZONE))


def credential_document(*, certificate, district_code: str, issuer_name: str) -> dict:
    """The OpenBadgeCredential for a certificate (its snapshot fields only)."""
    valid_from = issued_at(certificate.issued_on).isoformat()
    course = certificate.course_title
    return {
        "@context": CONTEXTS,
        "id": rendering.verify_url(certificate.code),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{course}结业证书",
        "issuer": {
            "id": issuer_id(district_code),
            "type": ["Profile"],
            "name": issuer_name,
        },
        "validFrom": valid_from,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": certificate.trainee_name,
                }
            ],
            # The course ended with the cohort, not on the day the certificate was issued.
            "activityEndDate": issued_at(certificate.cohort.ends_on).isoformat(),
            "achievement": {
                "id": f"{issuer_id(district_code)}achievements/cohort-{certificate.cohort_id}",
                "type": ["Achievement"],
                "achievementType": "CertificateOfCompletion",
                "name": course,
                "description": f"{certificate.cohort_name}：完成《{course}》集中课程、实地支持与模式探索三个阶段。",
                "criteria": {"narrative": "完成集中课程、实地支持与模式探索三个阶段的学习与实践，达到本期结业条件。"},
                "inLanguage": "zh-Hans",
            },
        },
        "credentialStatus": {"id": status_url(certificate.code), "type": "1EdTechRevocationList"},
        "evidence": [
            {
                "id": rendering.verify_url(certificate.code),
                "type": ["Evidence"],
                "name": f"{certificate.serial}",
                "narrative": f"证书编号 {certificate.serial}，验证码 {certificate.code}",
            }
        ],
    }


def sign_credential(document: dict, key: signing.DistrictKey, *, extra_claims: dict | None = None) -> str:
    """The compact VC-JWT (RS256) of a credential document."""
    from jwcrypto import jwt

    valid_from = datetime.datetime.fromisoformat(document["validFrom"])
    claims = {
        **document,
        "iss": document["issuer"]["id"],
        "jti": document["id"],
        "nbf": int(valid_from.timestamp()),
        **(extra_claims or {}),
    }
    token = jwt.JWT(header={"alg": "RS256", "typ": "JWT", "kid": key.public.kid}, claims=claims)
    token.make_signed_token(key.private_jwk)
    return token.serialize()


def envelope(token: str) -> bytes:
    """The JSON file handed out and embedded in the PDF."""
    data = {"@context": [CONTEXTS[0]], "id": ENVELOPE_PREFIX + token, "type": "EnvelopedVerifiableCredential"}
    return json.dumps(data, ensure_ascii=False, indent=2).encode()


def certificate_credential(*, certificate, key: signing.DistrictKey) -> bytes:
    document = credential_document(
        certificate=certificate, district_code=certificate.cohort.district.code, issuer_name=key.issuer_name
    )
    return envelope(sign_credential(document, key))


class CredentialRefused(Exception):
    """The credential is malformed, not signed by a published district key, or expired; the message says which."""


@dataclass
class CredentialCheck:
    key: signing.PublicKey
    claims: dict = field(repr=False)

    @property
    def code(self) -> str:
        """The certificate's verification code, from the credential id (/verify/<code>/), wherever it was hosted."""
        parts = [part for part in urlsplit(str(self.claims.get("jti", ""))).path.split("/") if part]
        return parts[-1] if len(parts) >= 2 and parts[-2] == "verify" else ""

    @property
    def trainee_name(self) -> str:
        identifiers = self.claims.get("credentialSubject", {}).get("identifier") or [{}]
        return str(identifiers[0].get("identityHash", ""))

    @property
    def course_title(self) -> str:
        return str(self.claims.get("credentialSubject", {}).get("achievement", {}).get("name", ""))


def token_from(data: bytes) -> str:
    """The compact JWT in an uploaded credential: the enveloped JSON, or the bare JWT text."""
    try:
        text = data.decode("utf-8").strip().lstrip("\ufeff")
    except UnicodeDecodeError:
        raise CredentialRefused(_("The credential is not UTF-8 text.")) from None
    if text.startswith("{"):
        try:
            document = json_loads(text)
        except JsonTooDeep:
            raise CredentialRefused(too_deep_message()) from None
        except ValueError:
            raise CredentialRefused(_("The credential is not valid JSON.")) from None
        identifier = document.get("id") if isinstance(document, dict) else None
        if not (isinstance(identifier, str) and identifier.startswith(ENVELOPE_PREFIX)):
            raise CredentialRefused(_("The JSON file does not carry a signed credential (VC-JWT)."))
        text = identifier[len(ENVELOPE_PREFIX) :]
    if text.count(".") != 2 or any(not part for part in text.split(".")):
        raise CredentialRefused(_("The credential is not a signed JWT."))
    return text


def _header(token: str) -> dict:
    encoded, payload = token.split(".")[:2]
    try:
        # The payload is parsed by jwcrypto, which has no nesting limit: checked here first.
        json_depth_check(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8"))
    except JsonTooDeep:
        raise CredentialRefused(too_deep_message()) from None
    except (ValueError, binascii.Error):
        raise CredentialRefused(_("The credential is malformed.")) from None
    try:
        header = json_loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except JsonTooDeep:
        raise CredentialRefused(too_deep_message()) from None
    except (ValueError, binascii.Error):
        raise CredentialRefused(_("The credential's header cannot be read.")) from None
    if not isinstance(header, dict):
        raise CredentialRefused(_("The credential's header cannot be read."))
    return header


def verify_credential(data: bytes, *, keys: list[signing.PublicKey] | None = None) -> CredentialCheck:
    """Check an uploaded credential against the district keys this site publishes. Raises CredentialRefused."""
    from jwcrypto import jws, jwt
    from jwcrypto.common import JWException

    token = token_from(data)
    header = _header(token)
    if header.get("alg") != "RS256":
        raise CredentialRefused(_("The credential is not signed with RS256."))
    keys = signing.published_keys() if keys is None else keys
    kid = header.get("kid")
    # The key named by the credential itself (its URI; a bare thumbprint in credentials made before), never
    # "the district's current key": a rotated key keeps verifying what it signed.
    key = next((k for k in keys if kid in (k.kid, k.thumbprint)), None) if isinstance(kid, str) else None
    if key is None:
        raise CredentialRefused(_("The credential is not signed by a key this site publishes."))
    try:
        checked = jwt.JWT(jwt=token, key=key.jwk, algs=["RS256"], expected_type="JWS")
    except jwt.JWTExpired:
        raise CredentialRefused(_("The credential has expired.")) from None
    except jwt.JWTNotYetValid:
        raise CredentialRefused(_("The credential is not valid yet.")) from None
    except jws.InvalidJWSSignature:
        raise CredentialRefused(_("The credential's signature does not match the district's key.")) from None
    except (JWException, ValueError, TypeError):
        raise CredentialRefused(_("The credential is malformed.")) from None
    try:
        claims = json.loads(checked.claims)
    except ValueError:
        raise CredentialRefused(_("The credential is malformed.")) from None
    if not isinstance(claims, dict) or "OpenBadgeCredential" not in (claims.get("type") or []):
        raise CredentialRefused(_("The signed document is not an Open Badges credential."))
    if claims.get("iss") != (claims.get("issuer") or {}).get("id"):
        raise CredentialRefused(_("The credential is malformed."))
    return CredentialCheck(key=key, claims=claims)
