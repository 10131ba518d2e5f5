"""The private file storage: a local folder by default, an S3-compatible bucket when configured.

Everything that stores or reads a file goes through Django's default storage. Reads stream:
`open_stream` hands out the object's body as it arrives from the bucket (no whole file in memory,
no temporary copy), and `read_back` proves a stored file can be read by another host.
"""

import hashlib
import logging

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from lms.errors import StoredFileUnavailable

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024


def is_bucket(storage=None) -> bool:
    """Whether the storage is django-storages' S3 backend."""
    return hasattr(storage or default_storage, "bucket_name") and hasattr(storage or default_storage, "connection")


def _object_key(storage, name: str) -> str:
    from storages.utils import clean_name

    return storage._normalize_name(clean_name(name))


def open_stream(name: str, storage=None):
    """A read-only file-like object streaming the stored file; use it as a context manager.

    Raises StoredFileUnavailable (503) when the file is missing or the storage refuses.
    """
    storage = storage or default_storage
    try:
        if is_bucket(storage):
            # The S3 backend's own File downloads the whole object before the first read; the body streams.
            client = storage.connection.meta.client
            return client.get_object(Bucket=storage.bucket_name, Key=_object_key(storage, name))["Body"]
        return storage.open(name, "rb")
    except StoredFileUnavailable:
        raise
    except Exception as error:  # FileNotFoundError, botocore's ClientError and connection errors alike
        logger.warning("Stored file %s cannot be read: %s", name, error)
        raise StoredFileUnavailable() from error


def sha256_of_stored(name: str, storage=None) -> str:
    """The SHA-256 of a stored file, read back through the storage in chunks."""
    digest = hashlib.sha256()
    with open_stream(name, storage) as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def readable(name: str, storage=None) -> bool:
    """Whether the stored file can be opened and read by this process (a cheap check, no full read)."""
    try:
        with open_stream(name, storage) as source:
            source.read(1)
        return True
    except Exception:  # a missing key, a dead endpoint, a refused credential: all mean "not readable"
        logger.warning("Stored file %s cannot be read back", name, exc_info=True)
        return False


def missing(names, storage=None) -> list[str]:
    """The names among these that the storage cannot show (missing, or the storage refuses)."""
    storage = storage or default_storage
    absent = []
    for name in names:
        try:
            if not storage.exists(name):
                absent.append(name)
        except Exception:  # a refused credential or a dead endpoint: the file cannot be served either
            logger.warning("Cannot check stored file %s", name, exc_info=True)
            absent.append(name)
    return absent


def storage_problems(storage=None) -> list[str]:
    """What stops the private storage from working, in words an operator can act on; empty when fine."""
    storage = storage or default_storage
    if not is_bucket(storage):
        return []
    from botocore.exceptions import BotoCoreError, ClientError

    bucket = storage.bucket_name
    try:
        storage.connection.meta.client.head_bucket(Bucket=bucket)
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in {"404", "NoSuchBucket"}:
            return [_("The storage bucket %(bucket)s does not exist (AWS_STORAGE_BUCKET_NAME).") % {"bucket": bucket}]
        if code in {"403", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied"}:
            return [
                _("The storage bucket %(bucket)s refuses the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).")
                % {"bucket": bucket}
            ]
        return [_("The storage bucket %(bucket)s answered %(error)s.") % {"bucket": bucket, "error": error}]
    except (BotoCoreError, ValueError) as error:
        return [_("The storage endpoint cannot be reached (AWS_S3_ENDPOINT_URL): %(error)s") % {"error": error}]
    return []


def require_storage() -> None:
    """Refuse to start a web or worker process whose storage cannot work."""
    if problems := storage_problems():
        raise ImproperlyConfigured(" ".join(problems))


@register("lms_storage")
def check_storage(app_configs=None, **kwargs):
    return [Error(problem, id="lms.E001") for problem in storage_problems()]
