"""District signing keys and the PAdES signature on every certificate PDF.

Each district signs with one of a list of keys (certificates.models.SigningKey): an RSA key and a
self-signed X.509 certificate naming its issuing body. The keys live in the database, so web and
worker hosts read the same keys by settings alone; each private key is encrypted with AES-256-GCM
under LMS_KEY_ENCRYPTION_KEY (an environment variable, never in the database or its backups), its
identity bound as associated data. Rotation retires a key but keeps it: every key that ever signed
stays published, and verification picks the key by the signature's own certificate or `kid`.
The same key signs the PDF (PAdES baseline B-B, pyHanko) and the Open Badges credential (RS256).
A missing or unreadable key raises SigningKeyUnavailable: a certificate is never issued unsigned.
"""

import base64
import datetime
import functools
import hashlib
import io
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

DEPLOYMENT = "_deployment"  # the owner of the deployment's key, used by districts that have none of their own
KEY_FILE = "signing-key.pem"  # the file layout before keys moved into the database (read by the migration)
CERTIFICATE_FILE = "signing-certificate.pem"
FIELD_NAME = "DistrictSignature"
# Hex digits reserved for the CMS signature: ~3 KB of DER with one RSA-3072 certificate, written as hex.
SIGNATURE_BYTES_RESERVED = 8192
CERTIFICATE_YEARS = 30


class SigningKeyUnavailable(Exception):
    """The district has no usable signing key, or this host cannot read it; certificates wait (pending).

    Deliberately not an OSError: the render task must not retry it as a transient fault and then mark the
    certificate failed; it stays pending and the sweep re-queues it once the key is there. The message says
    what is missing and who makes it.
    """


class KeyNotReadableHere(SigningKeyUnavailable):
    """The key exists but this host cannot decrypt it (no or another LMS_KEY_ENCRYPTION_KEY): a host's fault,
    not the district's; a worker in this state leaves the district's tasks to other hosts."""


class KeyRefused(Exception):
    """A key operation that must not happen (a second key without rotating, a rotation with no key, a date in
    the future); the message says why and what to do instead."""


def base_url() -> str:
    return settings.LMS_PUBLIC_BASE_URL.rstrip("/")


def key_uri(owner: str, number: int) -> str:
    """A key's id: a URI that dereferences to its JWK."""
    return f"{base_url()}/issuers/{owner}/keys/{number}"


def owner_of(district_code: str) -> str:
    code = (district_code or "").strip().lower()
    if not code or "/" in code or code.startswith("."):
        raise SigningKeyUnavailable(f"Invalid district code for a signing key: {district_code!r}")
    return code


@dataclass(frozen=True)
class PublicKey:
    """What anyone may know of one key: its certificate, fingerprint, id, state, and its key as a JWK."""

    district_code: str  # the owner: a district's code, or DEPLOYMENT
    certificate_pem: bytes
    certificate: object = field(repr=False)  # cryptography.x509.Certificate
    number: int = 1
    pk: int | None = None
    retired_at: datetime.datetime | None = None
    compromised_since: datetime.datetime | None = None

    @property
    def certificate_der(self) -> bytes:
        from cryptography.hazmat.primitives.serialization import Encoding

        return self.certificate.public_bytes(Encoding.DER)

    @functools.cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate (DER), upper-case hex pairs joined by colons, as PDF readers show it."""
        return fingerprint_of(self.certificate_der)

    @property
    def issuer_name(self) -> str:
        from cryptography.x509.oid import NameOID

        names = self.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(names[0].value) if names else self.district_code

    @property
    def valid_from(self) -> datetime.datetime:
        return self.certificate.not_valid_before_utc

    @property
    def valid_until(self) -> datetime.datetime:
        return self.certificate.not_valid_after_utc

    @property
    def state(self) -> str:
        """ "compromised", "retired" or "active"."""
        if self.compromised_since:
            return "compromised"
        return "retired" if self.retired_at else "active"

    @property
    def is_active(self) -> bool:  # booleans for templates, which never spell a state (tests/test_state_literals.py)
        return self.state == "active"

    @property
    def is_retired(self) -> bool:
        return self.state == "retired"

    @functools.cached_property
    def jwk(self):
        from jwcrypto import jwk

        key = jwk.JWK.from_pyca(self.certificate.public_key())
        return key

    @property
    def kid(self) -> str:
        return key_uri(self.district_code, self.number)

    @functools.cached_property
    def thumbprint(self) -> str:
        """The JWK thumbprint: the kid of credentials signed before kids were URIs."""
        return self.jwk.thumbprint()

    def public_jwk(self) -> dict:
        data = self.jwk.export_public(as_dict=True)
        data.update(
            {
                "kid": self.kid,
                "use": "sig",
                "alg": "RS256",
                "x5c": [base64.b64encode(self.certificate_der).decode()],
                "x5t#S256": base64.urlsafe_b64encode(hashlib.sha256(self.certificate_der).digest())
                .rstrip(b"=")
                .decode(),
            }
        )
        return data


def fingerprint_of(der: bytes) -> str:
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


@dataclass(frozen=True)
class DistrictKey:
    public: PublicKey
    private_key: object = field(repr=False)  # cryptography RSAPrivateKey

    @property
    def district_code(self) -> str:
        return self.public.district_code

    @property
    def issuer_name(self) -> str:
        return self.public.issuer_name

    @functools.cached_property
    def private_jwk(self):
        from jwcrypto import jwk

        key = jwk.JWK.from_pyca(self.private_key)
        return key

    @functools.cached_property
    def pdf_signer(self):
        from asn1crypto import x509 as asn1_x509
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        certificate = asn1_x509.Certificate.load(self.public.certificate_der)
        return _signer_class()(
            private_key=self.private_key,
            signing_cert=certificate,
            cert_registry=SimpleCertificateStore.from_certs([certificate]),
        )


@functools.cache
def _signer_class():
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from pyhanko.sign import attributes, signers
    from pyhanko.sign.general import as_signing_certificate_v2

    class KeptSigningCertificate(attributes.CMSAttributeProvider):
        """The signing-certificate-v2 attribute (PAdES' only signed attribute here), encoded once per key."""

        attribute_type = "signing_certificate_v2"

        def __init__(self, certificate):
            self._der = as_signing_certificate_v2(certificate).dump()

        async def build_attr_value(self, dry_run=False):
            from asn1crypto import tsp

            return tsp.SigningCertificateV2.load(self._der)  # unparsed: dumps its own bytes again

    class PadesAttributes(attributes.SignedAttributeProviderSpec):
        """What pyHanko's PAdES spec gives (no signing time, no CAdES extras), without rebuilding it per PDF."""

        def __init__(self, certificate):
            self._signing_certificate = KeptSigningCertificate(certificate)

        def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str):
            yield self._signing_certificate

    class LoadedKeySigner(signers.Signer):
        """pyHanko signer holding the loaded key: SimpleSigner re-parses (and re-checks) an RSA key per signature."""

        def __init__(self, *, private_key, **kwargs):
            self._private_key = private_key
            super().__init__(**kwargs)
            self.signed_attr_prov_spec = PadesAttributes(self.signing_cert)

        async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
            algorithm = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}
            return self._private_key.sign(data, padding.PKCS1v15(), algorithm[digest_algorithm.lower()])

    return LoadedKeySigner


# --- the key store: rows in the database, private keys encrypted under the key-encryption key


def _key_encryption_key() -> bytes:
    value = settings.LMS_KEY_ENCRYPTION_KEY
    if not value:
        raise KeyNotReadableHere(
            "LMS_KEY_ENCRYPTION_KEY is not set on this host: it cannot read the signing keys. "
            "Set it to the same value as on the other hosts (the operator keeps it)."
        )
    try:
        key = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError):
        key = b""
    if len(key) != 32:
        raise KeyNotReadableHere("LMS_KEY_ENCRYPTION_KEY must be 32 bytes in URL-safe base64.")
    return key


def _associated_data(owner: str, number: int, fingerprint: str) -> bytes:
    return f"lms-signing-key:{owner}:{number}:{fingerprint}".encode()


def encrypt_private_key(pem: bytes, *, owner: str, number: int, fingerprint: str) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    sealed = AESGCM(_key_encryption_key()).encrypt(nonce, pem, _associated_data(owner, number, fingerprint))
    return b"v1" + nonce + sealed


@functools.lru_cache(maxsize=64)
def _decrypted_private_key(blob: bytes, owner: str, number: int, fingerprint: str, _kek_setting: str):
    """The RSA key of a row; cached (loading and checking an RSA key costs ~0.2 s)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not blob.startswith(b"v1") or len(blob) < 30:
        raise SigningKeyUnavailable(f"The stored signing key {owner}/keys/{number} is damaged.")
    try:
        pem = AESGCM(_key_encryption_key()).decrypt(blob[2:14], blob[14:], _associated_data(owner, number, fingerprint))
    except InvalidTag:
        raise KeyNotReadableHere(
            f"This host's LMS_KEY_ENCRYPTION_KEY does not open the signing key {owner}/keys/{number}: "
            "it differs from the one the key was made with."
        ) from None
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SigningKeyUnavailable(f"The signing key {owner}/keys/{number} is not an RSA key.")
    return key


@functools.lru_cache(maxsize=256)
def _certificate(pem: str):
    from cryptography import x509

    return x509.load_pem_x509_certificate(pem.encode())


def public_key_of(row) -> PublicKey:
    """The PublicKey of a SigningKey row."""
    return PublicKey(
        district_code=row.owner,
        certificate_pem=row.certificate_pem.encode(),
        certificate=_certificate(row.certificate_pem),
        number=row.number,
        pk=row.pk,
        retired_at=row.retired_at,
        compromised_since=row.compromised_since,
    )


def district_key_of(row) -> DistrictKey:
    """The key pair of a row; raises SigningKeyUnavailable (KeyNotReadableHere when this host cannot decrypt)."""
    public = public_key_of(row)
    private = _decrypted_private_key(
        bytes(row.private_key), row.owner, row.number, row.fingerprint, settings.LMS_KEY_ENCRYPTION_KEY
    )
    if private.public_key().public_numbers() != public.certificate.public_key().public_numbers():
        raise SigningKeyUnavailable(f"The signing key {row} does not match its certificate.")
    return _kept(public, private)


_kept_keys: dict[str, DistrictKey] = {}


def _kept(public: PublicKey, private) -> DistrictKey:
    """One DistrictKey per key (and state) and process, so its signer and JWK are built once (see warm_up)."""
    key = _kept_keys.get(public.fingerprint)
    if key is None or key.public != public or key.private_key is not private:
        key = _kept_keys[public.fingerprint] = DistrictKey(public=public, private_key=private)
    return key


def _rows():
    from certificates.models import SigningKey

    return SigningKey.objects


def usable_row(district_code: str):
    """The row that signs for the district now: its own usable key, else the deployment's (if it has no key
    of its own at all); None when there is none."""
    owner = owner_of(district_code)
    rows = list(_rows().filter(owner__in=[owner, DEPLOYMENT]).order_by("-number"))
    own = [row for row in rows if row.owner == owner]
    if own:
        return next((row for row in own if row.usable), None)
    return next((row for row in rows if row.owner == DEPLOYMENT and row.usable), None)


def missing_key_message(district_code: str) -> str:
    """What is missing and who makes it, for staff (page, API) and operators (command, logs)."""
    owner = owner_of(district_code)
    own = list(_rows().filter(owner=owner).order_by("-number"))
    if own and own[0].compromised_since:
        return _(
            "District %(code)s has no usable signing key: its key %(number)d was reported compromised. "
            "The operator makes a new one: manage.py certificates_keygen --district %(code)s --rotate"
        ) % {"code": owner, "number": own[0].number}
    return _(
        "District %(code)s has no signing key yet, so certificates cannot be signed. "
        "The operator makes it once: manage.py certificates_keygen --district %(code)s"
    ) % {"code": owner}


def load_district_key(district_code: str) -> DistrictKey:
    """The key pair that signs for the district now. Raises SigningKeyUnavailable (what is missing, who makes it)."""
    row = usable_row(district_code)
    if row is None:
        raise SigningKeyUnavailable(missing_key_message(district_code))
    return district_key_of(row)


def load_public_key(district_code: str) -> PublicKey:
    """The public half of the key that signs for the district now (no private key is read)."""
    row = usable_row(district_code)
    if row is None:
        raise SigningKeyUnavailable(missing_key_message(district_code))
    return public_key_of(row)


def published_keys(owner: str | None = None) -> list[PublicKey]:
    """Every key that was ever made (each may have signed), of one owner or all; never deleted."""
    rows = _rows().all() if owner is None else _rows().filter(owner=owner_of(owner))
    return [public_key_of(row) for row in rows.order_by("owner", "number")]


def district_published_keys(district) -> list[PublicKey]:
    """A district's keys, and any deployment key that signed its certificates or signs for it now."""
    from django.db.models import Q

    from certificates.models import Certificate

    signed = Certificate.objects.filter(cohort__district=district, signing_key__isnull=False)
    rows = _rows().filter(Q(owner=district.code.lower()) | Q(pk__in=signed.values("signing_key_id")))
    keys = [public_key_of(row) for row in rows.order_by("owner", "number")]
    if not any(k.district_code == district.code.lower() for k in keys):
        current = usable_row(district.code)
        if current is not None and current.pk not in {k.pk for k in keys}:
            keys.append(public_key_of(current))
    return keys


def key_material(*, issuer_name: str, organisation: str = "") -> tuple[bytes, bytes]:
    """A new RSA-3072 key (PEM, PKCS#8) and a self-signed certificate naming the issuing body (PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    private_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    attributes.append(x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"))
    name = x509.Name(attributes)
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365 * CERTIFICATE_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # non-repudiation: what a signature on a document asks for
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(private_key.public_key()), critical=False)
        .sign(private_key, hashes.SHA256())
    )
    key_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM)


def key_store(*, owner: str, private_pem: bytes, certificate_pem: bytes, rotate: bool = False, district=None):
    """Store a key as the owner's usable one. Without `rotate`, refuses where the owner has any key already;
    with it, retires the usable key (kept, still published). Returns the new row. Atomic."""
    from cryptography import x509
    from django.db import transaction
    from django.utils import timezone

    from certificates.models import SigningKey

    owner = owner_of(owner) if owner != DEPLOYMENT else owner
    certificate = x509.load_pem_x509_certificate(certificate_pem)
    fingerprint = fingerprint_of(certificate.public_bytes(_der()))
    with transaction.atomic():
        existing = list(SigningKey.objects.select_for_update().filter(owner=owner).order_by("number"))
        if existing and not rotate:
            last = existing[-1]
            raise KeyRefused(
                f"{owner} already has a published signing key ({key_uri(owner, last.number)}, "
                f"SHA-256 {last.fingerprint}). Certificates name it, so it is never replaced; to make a new "
                f"one and retire it, run: manage.py certificates_keygen "
                f"{'--deployment' if owner == DEPLOYMENT else '--district ' + owner} --rotate"
            )
        if rotate and not existing:
            raise KeyRefused(f"{owner} has no signing key to rotate yet; make its first one without --rotate.")
        now = timezone.now()
        number = existing[-1].number + 1 if existing else 1
        for row in existing:
            if row.usable:
                row.retired_at = now
                row.save(update_fields=["retired_at", "updated_at"])
        return SigningKey.objects.create(
            owner=owner,
            district=district,
            number=number,
            certificate_pem=certificate_pem.decode(),
            fingerprint=fingerprint,
            private_key=encrypt_private_key(private_pem, owner=owner, number=number, fingerprint=fingerprint),
            valid_from=certificate.not_valid_before_utc,
            valid_until=certificate.not_valid_after_utc,
        )


def _der():
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


def generate_district_key(
    *, district_code: str, issuer_name: str, organisation: str = "", rotate: bool = False
) -> DistrictKey:
    """Make a new RSA-3072 key and a self-signed certificate naming the issuing body, stored encrypted.

    Refuses (KeyRefused) where the district already has a key unless rotating: certificates name the old key.
    """
    from lms.models import District

    owner = DEPLOYMENT if district_code == DEPLOYMENT else owner_of(district_code)
    district = None if owner == DEPLOYMENT else District.objects.filter(code__iexact=owner).first()
    private_pem, certificate_pem = key_material(issuer_name=issuer_name, organisation=organisation)
    row = key_store(
        owner=owner, private_pem=private_pem, certificate_pem=certificate_pem, rotate=rotate, district=district
    )
    return district_key_of(row)


def key_mark_compromised(*, owner: str, since: datetime.datetime, number: int | None = None):
    """Record that a key leaked at `since`: certificates it signed from then on are refused. Not in the future."""
    from django.db import transaction
    from django.utils import timezone

    from certificates.models import SigningKey

    if since > timezone.now():
        raise KeyRefused(f"--compromised-since {since.isoformat()} is in the future; give the moment the key leaked.")
    with transaction.atomic():
        rows = SigningKey.objects.select_for_update().filter(owner=owner).order_by("-number")
        row = rows.filter(number=number).first() if number else rows.first()
        if row is None:
            raise KeyRefused(f"{owner} has no signing key{f' number {number}' if number else ''}.")
        row.compromised_since = since
        row.save(update_fields=["compromised_since", "updated_at"])
    return row


def read_key_folder(folder: Path) -> tuple[bytes, bytes] | None:
    """The (private key PEM, certificate PEM) of a file-based key folder, or None (for the migration)."""
    key_path, certificate_path = folder / KEY_FILE, folder / CERTIFICATE_FILE
    if not (key_path.is_file() and certificate_path.is_file()):
        return None
    return key_path.read_bytes(), certificate_path.read_bytes()


def readable_here() -> list[str]:
    """Problems this host has reading the usable keys (empty when it can sign for every owner with a key)."""
    problems = []
    for row in _rows().usable():
        try:
            district_key_of(row)
        except SigningKeyUnavailable as error:
            problems.append(str(error))
    return problems


def warm_up() -> None:
    """Load and check every usable key and sign once, so a worker's first certificate does not pay for
    pyHanko's and jwcrypto's imports and the RSA key checks (~0.6 s)."""
    from certificates import credentials, rendering

    keys = []
    for row in _rows().usable():
        try:
            keys.append(district_key_of(row))
        except SigningKeyUnavailable:
            continue  # the certificates of that district wait, and say why, when they come
    for key in keys:
        key.pdf_signer, key.private_jwk, key.public.kid  # noqa: B018 - cached on the key
    if keys:
        pdf, _refused = rendering.render_pdf(template_html="<p>预热</p>", css="", values={})
        sign_pdf(pdf, keys[0])
        document = {"id": "urn:warm-up", "issuer": {"id": "urn:warm-up"}, "validFrom": "2022-12-31T00:00:00+08:00"}
        credentials.sign_credential(document, keys[0])


def outside_event_loop(function, *args, **kwargs):
    """Call one of pyHanko's synchronous functions, which run their own event loop (asyncio.run): in a
    thread of its own when this thread already runs a loop (an async server, a browser test)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def sign_pdf(pdf: bytes, key: DistrictKey, *, reason: str = "", location: str = "") -> bytes:
    """Append a PAdES B-B signature by the district covering the whole file as given."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
        name=key.issuer_name,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    output = outside_event_loop(
        signers.sign_pdf, writer, metadata, signer=key.pdf_signer, bytes_reserved=SIGNATURE_BYTES_RESERVED
    )
    return output.getvalue()


class PdfRefused(Exception):
    """The upload is not a readable PDF; the message says so."""


@dataclass
class PdfCheck:
    """What a PDF's signature says, as the verification page reports it."""

    signed: bool = False
    intact: bool = False  # the signed bytes are unchanged
    whole_file: bool = False  # nothing was added after the signature (no incremental update)
    key: PublicKey | None = None  # the publishing district whose certificate signed it, if any
    signer: str = ""  # the signer certificate's common name, whoever it is
    signed_at: datetime.datetime | None = None
    credential: bytes = b""  # the embedded Open Badges credential, if any
    credential_too_large: bool = False  # one is embedded but unpacks past CREDENTIAL_MAX_BYTES: not read

    @property
    def valid(self) -> bool:
        return self.signed and self.intact and self.whole_file and self.key is not None


# An embedded credential is a few KB of JSON; a PDF from outside is read within these bounds (pyHanko's
# own default lets one stream unpack to 256 MiB: a 255 KB file cost a web worker half a gigabyte).
CREDENTIAL_MAX_BYTES = 2 * 1024 * 1024
PDF_STREAM_MAX_BYTES = 16 * 1024 * 1024
PDF_DOCUMENT_MAX_BYTES = 48 * 1024 * 1024


def untrusted_pdf_reader(data: bytes):
    """A pyHanko reader of a PDF from outside, every stream's unpacked size bounded (PdfDecodeLimitError)."""
    from pyhanko.pdf_utils.decode_limits import DecodeLimits, DocumentDecodeBudget, StreamDecodeLimits
    from pyhanko.pdf_utils.reader import PdfFileReader

    limits = DecodeLimits(
        per_stream=StreamDecodeLimits(max_output_size=PDF_STREAM_MAX_BYTES),
        document_budget=DocumentDecodeBudget(base_allowance=PDF_DOCUMENT_MAX_BYTES, max_ratio=10),
    )
    return PdfFileReader(io.BytesIO(data), strict=False, decode_limits=limits)


def embedded_credential(reader) -> bytes:
    """The first embedded file named like a credential (…json), or b"".

    Unpacked within CREDENTIAL_MAX_BYTES: more raises pyHanko's PdfDecodeLimitError.
    """
    from pyhanko.pdf_utils.generic import NameObject
    from pyhanko.pdf_utils.misc import PdfDecodeLimitError

    try:
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    except KeyError:
        return b""
    for index in range(0, len(names) - 1, 2):
        spec = names[index + 1].get_object()
        if str(spec.get("/UF", spec.get("/F", ""))).lower().endswith(".json"):
            stream = spec["/EF"][NameObject("/F")].get_object()
            # read_data's expected size caps the unpacking (pyHanko adds a few KB of slack).
            data = stream.read_data(expected_size=CREDENTIAL_MAX_BYTES)
            if len(data) > CREDENTIAL_MAX_BYTES:
                raise PdfDecodeLimitError("credential too large")
            return data
    return b""


def credential_in_pdf(data: bytes) -> bytes:
    """The credential embedded in a PDF (b"" when there is none or the file cannot be read); no validation."""
    from pyhanko.pdf_utils.misc import PdfError

    try:
        return embedded_credential(untrusted_pdf_reader(data))
    except (PdfError, ValueError, KeyError, TypeError, AttributeError):
        return b""


def check_pdf(data: bytes, *, keys: list[PublicKey] | None = None) -> PdfCheck:
    """Validate the PDF's district signature against the certificates this site publishes.

    Raises PdfRefused for what is not a readable PDF. Never trusts the file: the signer must be one of
    the published district certificates (matched by fingerprint), the signature must be intact and cover
    the whole file.
    """
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.misc import PdfDecodeLimitError, PdfError
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    if not data.startswith(b"%PDF-"):
        raise PdfRefused("not a PDF")
    try:
        reader = untrusted_pdf_reader(data)
        signatures = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise PdfRefused(str(error)) from None
    result = PdfCheck()
    try:
        result.credential = embedded_credential(reader)
    except PdfDecodeLimitError:
        result.credential_too_large = True
    except (PdfError, ValueError, KeyError, TypeError, AttributeError):
        result.credential = b""
    if not signatures:
        return result
    result.signed = True
    # The district's signature is the first; any later signature is itself a change after signing.
    signature = signatures[0]
    try:
        signer = signature.signer_cert
        result.signer = signer.subject.native.get("common_name", "") if signer else ""
        fingerprint = hashlib.sha256(signer.dump()).hexdigest().upper() if signer else ""
    except (ValueError, KeyError, TypeError, AttributeError):
        return result
    keys = published_keys() if keys is None else keys
    result.key = next((k for k in keys if k.fingerprint.replace(":", "") == fingerprint), None)
    roots = [asn1_x509.Certificate.load(result.key.certificate_der)] if result.key else []
    context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
    try:
        status = outside_event_loop(validate_pdf_signature, signature, context)
    except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError, AttributeError):
        return result
    result.intact = bool(status.intact and status.valid)
    result.whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE and len(signatures) == 1
    if not status.trusted:
        result.key = None
    result.signed_at = status.signer_reported_dt
    return result


def signature_line(key: DistrictKey) -> str:
    """The visible line on the certificate: who signed it, and the certificate fingerprint to compare."""
    return f"本证书由{key.issuer_name}数字签名（PAdES）· 签名证书 SHA-256 指纹 {key.public.fingerprint[:23]}…"


def certificate_pdf(*, certificate, profile=None, key: DistrictKey | None = None) -> bytes:
    """Render, embed the credential, and sign a certificate's PDF/A-3a with its district's key.

    `profile` is the district's IssuerProfile (its wording and seal), None for the built-in wording.
    Raises SigningKeyUnavailable before rendering when the key is missing, RenderError for a broken
    template. The seal is drawn only here, on the way to a signature: if signing fails, nothing is returned.
    The result is what is stored and hashed: the signed file.
    """
    from certificates import credentials, rendering, seals

    key = key or load_district_key(certificate.cohort.district.code)
    template_html, css = rendering.DEFAULT_HTML, rendering.DEFAULT_CSS
    short_name, seal = "", ""
    if profile is not None:
        if profile.html.strip():
            template_html, css = profile.html, profile.css
        short_name, seal = profile.short_name, seals.seal_html(profile.seal, profile.seal_type)
    values = rendering.certificate_values(
        trainee_name=certificate.trainee_name,
        course_title=certificate.course_title,
        cohort_name=certificate.cohort_name,
        issuing_body=certificate.issuing_body,
        issued_on=certificate.issued_on,
        serial=certificate.serial,
        code=certificate.code,
        signature_line=signature_line(key),
        issuer_short_name=short_name,
        seal=seal,
    )
    archival = rendering.Archival(
        title=f"{certificate.course_title}结业证书 {certificate.serial}",
        issuer=certificate.issuing_body or key.issuer_name,
        issued_on=certificate.issued_on,
        subject=f"{certificate.trainee_name} · {certificate.cohort_name}",
        credential=credentials.certificate_credential(certificate=certificate, key=key),
    )
    pdf, _refused = rendering.render_pdf(
        template_html=template_html,
        css=css,
        values=values,
        archival=archival,
        max_pages=settings.CERTIFICATES_MAX_PAGES,  # a template that spills over is refused, not issued
    )
    return sign_pdf(pdf, key, reason="结业证书", location=certificate.issuing_body or key.issuer_name)
