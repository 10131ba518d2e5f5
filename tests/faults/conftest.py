import os
import uuid

import pytest

from tests.certificates.workers import purge_queue


@pytest.fixture
def render_queue(settings):
    queue = f"certificates-fault-{os.environ.get('CACHE_KEY_PREFIX', 'lms')}-{uuid.uuid4().hex[:8]}"
    settings.CERTIFICATES_QUEUE = queue
    yield queue
    purge_queue(queue)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(tmp_path)}},
    }
    return str(tmp_path)
