"""District signing keys and the PAdES signature on every certificate PDF.

Each district has an RSA key and a self-signed X.509 certificate naming its issuing body, kept in
settings.LMS_SIGNING_KEY_DIR/<district code>/ (outside the database and the repository; a deployment
sets LMS_SIGNING_KEY_DIR). The same key signs the PDF (PAdES baseline B-B, pyHanko) and the Open Badges
credential (RS256). A missing or unreadable key raises SigningKeyUnavailable: a certificate is never
issued unsigned.
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

logger = logging.getLogger(__name__)

DEPLOYMENT = "_deployment"  # the folder of the deployment's key, used by districts that have none of their own
KEY_FILE = "signing-key.pem"
CERTIFICATE_FILE = "signing-certificate.pem"
FIELD_NAME = "DistrictSignature"
# Hex digits reserved for the CMS signature: ~3 KB of DER with one RSA-3072 certificate, written as hex.
SIGNATURE_BYTES_RESERVED = 8192
CERTIFICATE_YEARS = 30


class SigningKeyUnavailable(Exception):
    """The district's signing key is missing or unreadable; certificates wait (pending) until it is installed.

    Deliberately not an OSError: the render task must not retry it as a transient fault and then mark the
    certificate failed; it stays pending and the sweep re-queues it once the key is there.
    """


def key_directory() -> Path:
    return Path(settings.LMS_SIGNING_KEY_DIR)


def district_directory(district_code: str, directory: Path | None = None) -> Path:
    code = district_code.strip().lower()
    if not code or "/" in code or code.startswith("."):
        raise SigningKeyUnavailable(f"Invalid district code for a signing key: {district_code!r}")
    return (directory or key_directory()) / code


@dataclass(frozen=True)
class PublicKey:
    """What anyone may know: the district's certificate, its fingerprint and its key as a JWK."""

    district_code: str
    certificate_pem: bytes
    certificate: object = field(repr=False)  # cryptography.x509.Certificate

    @property
    def certificate_der(self) -> bytes:
        from cryptography.hazmat.primitives.serialization import Encoding

        return self.certificate.public_bytes(Encoding.DER)

    @functools.cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate (DER), upper-case hex pairs joined by colons, as PDF readers show it."""
        digest = hashlib.sha256(self.certificate_der).hexdigest().upper()
        return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))

    @property
    def issuer_name(self) -> str:
        from cryptography.x509.oid import NameOID

        names = self.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(names[0].value) if names else self.district_code

    @functools.cached_property
    def jwk(self):
        from jwcrypto import jwk

        key = jwk.JWK.from_pyca(self.certificate.public_key())
        return key

    @property
    def kid(self) -> str:
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


def generate_district_key(
    *, district_code: str, issuer_name: str, organisation: str = "", directory: Path | None = None, force=False
) -> DistrictKey:
    """Make a new RSA-3072 key and a self-signed certificate naming the issuing body; write both (key mode 0600).

    Refuses to replace an existing key unless force: credentials already issued name the old key.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    folder = district_directory(district_code, directory)
    key_path, certificate_path = folder / KEY_FILE, folder / CERTIFICATE_FILE
    if key_path.exists() and not force:
        raise FileExistsError(f"{key_path} exists; pass force to replace it")
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
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_bytes = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key_bytes)
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    _load_public.cache_clear()
    _load_private.cache_clear()
    _district_key.cache_clear()
    return load_district_key(district_code, directory=directory)


def _stamp(path: Path) -> tuple[str, int, int]:
    try:
        stat = path.stat()
    except OSError as error:
        raise SigningKeyUnavailable(f"No signing key file {path}: {error.strerror}") from None
    return str(path), stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=64)
def _load_public(path: str, _mtime: int, _size: int, district_code: str) -> PublicKey:
    from cryptography import x509

    try:
        pem = Path(path).read_bytes()
        certificate = x509.load_pem_x509_certificate(pem)
    except (OSError, ValueError) as error:
        raise SigningKeyUnavailable(f"Unreadable signing certificate {path}: {error}") from None
    return PublicKey(district_code=district_code, certificate_pem=pem, certificate=certificate)


@functools.lru_cache(maxsize=64)
def _load_private(path: str, _mtime: int, _size: int):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise SigningKeyUnavailable(f"Unreadable signing key {path}: {error}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SigningKeyUnavailable(f"Signing key {path} is not an RSA key")
    return key


def _key_folder(district_code: str, directory: Path | None) -> tuple[Path, str]:
    """The district's own key folder, else the deployment's (when the deployment has a key)."""
    folder = district_directory(district_code, directory)
    if not (folder / CERTIFICATE_FILE).exists():
        deployment = district_directory(DEPLOYMENT, directory)
        if (deployment / CERTIFICATE_FILE).exists():
            return deployment, DEPLOYMENT
    return folder, district_code.lower()


def load_public_key(district_code: str, *, directory: Path | None = None) -> PublicKey:
    folder, owner = _key_folder(district_code, directory)
    return _load_public(*_stamp(folder / CERTIFICATE_FILE), owner)


def load_district_key(district_code: str, *, directory: Path | None = None) -> DistrictKey:
    """The district's key pair; raises SigningKeyUnavailable when missing, unreadable or not matching.

    Cached while the files are unchanged: loading and checking an RSA key costs ~0.2 s.
    """
    folder, owner = _key_folder(district_code, directory)
    return _district_key(_stamp(folder / CERTIFICATE_FILE), _stamp(folder / KEY_FILE), owner)


@functools.lru_cache(maxsize=64)
def _district_key(certificate_stamp, key_stamp, district_code: str) -> DistrictKey:
    public = _load_public(*certificate_stamp, district_code)
    private = _load_private(*key_stamp)
    if private.public_key().public_numbers() != public.certificate.public_key().public_numbers():
        raise SigningKeyUnavailable(f"The signing key in {Path(key_stamp[0]).parent} does not match its certificate")
    return DistrictKey(public=public, private_key=private)


def published_keys() -> list[PublicKey]:
    """Every district certificate in the key folder (readable ones only), by district code."""
    root = key_directory()
    keys = []
    if root.is_dir():
        for folder in sorted(root.iterdir()):
            if (folder / CERTIFICATE_FILE).is_file():
                try:
                    keys.append(load_public_key(folder.name))
                except SigningKeyUnavailable:
                    logger.warning("Unreadable signing certificate in %s", folder)
    return keys


def warm_up() -> None:
    """Load and check every key in the key folder and sign once, so a worker's first certificate does not
    pay for pyHanko's and jwcrypto's imports and the RSA key checks (~0.6 s)."""
    from certificates import credentials, rendering

    root = key_directory()
    keys = []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        try:
            keys.append(load_district_key(folder.name))
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


def certificate_pdf(*, certificate, template_html: str, css: str) -> bytes:
    """Render, embed the credential, and sign a certificate's PDF/A-3a with its district's key.

    Raises SigningKeyUnavailable before rendering when the key is missing, RenderError for a broken
    template. The result is what is stored and hashed: the signed file.
    """
    from certificates import credentials, rendering

    key = load_district_key(certificate.cohort.district.code)
    values = rendering.certificate_values(
        trainee_name=certificate.trainee_name,
        course_title=certificate.course_title,
        cohort_name=certificate.cohort_name,
        issuing_body=certificate.issuing_body,
        issued_on=certificate.issued_on,
        serial=certificate.serial,
        code=certificate.code,
        signature_line=signature_line(key),
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
