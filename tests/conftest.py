import copy
import uuid

import pytest
from django.utils import translation

from courses.models import Phase
from tests.courses.factories import (
    CohortFactory,
    EnrolmentFactory,
    LessonFactory,
    ModuleFactory,
    TeachingFactory,
)
from tests.lms.factories import CommunityFactory, DistrictStaffFactory, UserFactory


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    """Each test writes its files into its own folder, never into the app's var/private."""
    root = tmp_path / "private"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(root)}},
    }
    return root


TEST_KEY_ENCRYPTION_KEY = "dGVzdC1rZXktZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM="  # 32 bytes, tests only


@pytest.fixture(scope="session")
def deployment_key_material():
    """One deployment key for the run (an RSA key takes a moment to make); districts without their own use it."""
    from certificates import signing

    return signing.key_material(issuer_name="佛山市南海区民政局", organisation="测试")


def _uses_database(request) -> str:
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if "transactional_db" in names or (marker and marker.kwargs.get("transaction")) or "live_server" in names:
        return "transactional_db"
    return "db" if marker or "db" in names else ""


@pytest.fixture(autouse=True)
def signing_keys(request, settings, deployment_key_material, monkeypatch):
    """Certificates are signed with the run's deployment key, stored like any key (in the test's database,
    encrypted under a test key-encryption key), in this process and in the workers a test starts."""
    from certificates import signing

    settings.LMS_KEY_ENCRYPTION_KEY = TEST_KEY_ENCRYPTION_KEY
    monkeypatch.setenv("LMS_KEY_ENCRYPTION_KEY", TEST_KEY_ENCRYPTION_KEY)
    fixture = _uses_database(request)
    if not fixture:
        return None
    request.getfixturevalue(fixture)
    private_pem, certificate_pem = deployment_key_material
    return signing.key_store(owner=signing.DEPLOYMENT, private_pem=private_pem, certificate_pem=certificate_pem)


@pytest.fixture
def media_root(private_storage) -> str:
    """The test's private storage folder, for worker processes the test starts."""
    return str(private_storage)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3-compatible server (moto's server mode) for this test session, on a free port."""
    from tests.s3 import start_server

    server = start_server(tmp_path_factory.mktemp("s3"))
    yield server
    server.stop()


@pytest.fixture
def s3_storage(private_storage, settings, s3_server):
    """Private storage in a fresh bucket of the local S3 server, as AWS_* variables would select it."""
    from django.core.files.storage import storages

    from tests.s3 import storage_settings

    bucket = s3_server.new_bucket()
    settings.STORAGES = {**settings.STORAGES, "default": storage_settings(s3_server, bucket)}
    assert type(storages["default"]).__name__ == "S3Storage"
    s3_server.bucket = bucket
    return s3_server


@pytest.fixture(scope="session")
def sms_standin_server(tmp_path_factory):
    """Local stand-ins of the SMS providers' APIs (Aliyun, Tencent) for this test session, on a free port."""
    from tests.provider_standins import start_standin

    server = start_standin(tmp_path_factory.mktemp("sms"))
    yield server
    server.stop()


@pytest.fixture
def sms_standin(sms_standin_server):
    """The stand-ins with an empty outbox and both providers answering."""
    sms_standin_server.reset()
    return sms_standin_server


@pytest.fixture(autouse=True)
def second_factor_off(settings, monkeypatch):
    """Tests of other features sign staff in with a password alone (force_login has no second factor);
    tests/lms/test_sign_in.py turns the factor on and proves it, in this process and in started servers."""
    settings.LMS_SECOND_FACTOR_ROLES = set()
    monkeypatch.setenv("LMS_SECOND_FACTOR_ROLES", "")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2 at full strength costs ~0.4 s a user here and tests build thousands; hashing is not under test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache_keys(settings):
    """Counters in the shared Redis (failed check-ins, rate limits) start at zero: a key prefix per test."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"{caches['default'].get('KEY_PREFIX', '')}-{uuid.uuid4().hex[:8]}"
    settings.CACHES = caches
    from lms.counters import local_counters_clear

    local_counters_clear()


@pytest.fixture
def english():
    """Messages in English for tests that call services outside a request (zh-hans is the default)."""
    with translation.override("en"):
        yield


class World:
    """Two districts, each with a cohort, an instructor, staff and trainees: every role the rules know."""

    def __init__(self):
        self.cohort = CohortFactory(name="南海区2022年培育班")
        self.other_cohort = CohortFactory(name="顺德区2022年培育班")
        self.district = self.cohort.district
        self.community = CommunityFactory(town__district=self.district, name="河岗社区")
        self.staff = DistrictStaffFactory(district=self.district).user
        self.other_staff = DistrictStaffFactory(district=self.other_cohort.district).user
        self.instructor = TeachingFactory(cohort=self.cohort).instructor
        self.other_instructor = TeachingFactory(cohort=self.other_cohort).instructor
        self.enrolment = EnrolmentFactory(cohort=self.cohort, community=self.community)
        self.trainee = self.enrolment.trainee
        self.other_enrolment = EnrolmentFactory(cohort=self.other_cohort)
        self.other_trainee = self.other_enrolment.trainee
        self.stranger = UserFactory()
        self.basics = ModuleFactory(cohort=self.cohort, phase=Phase.CENTRALIZED, position=1, title="社区规划基础")
        self.skills = ModuleFactory(cohort=self.cohort, phase=Phase.CENTRALIZED, position=2, title="专业技能授课")
        self.skills.requires.add(self.basics)
        self.basics_lessons = [LessonFactory(module=self.basics, position=i, title=f"基础课{i}") for i in (1, 2)]
        self.skills_lesson = LessonFactory(module=self.skills, position=1, title="议事会的组织与主持")
        self.other_lesson = LessonFactory(module=ModuleFactory(cohort=self.other_cohort), position=1)

    def roles(self):
        """Every role of the permission matrix, by name."""
        return {
            "trainee": self.trainee,
            "other_trainee": self.other_trainee,
            "instructor": self.instructor,
            "other_instructor": self.other_instructor,
            "staff": self.staff,
            "other_staff": self.other_staff,
            "stranger": self.stranger,
        }


@pytest.fixture
def world(db):
    return World()
