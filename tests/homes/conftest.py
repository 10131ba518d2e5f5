import pytest

from tests.courses.conftest import clock  # noqa: F401 - the clock fixture, for the cache's tests
from tests.fieldwork.conftest import Field


@pytest.fixture
def field(world):
    return Field(world)
