import pytest

from tests.fieldwork.conftest import Field


@pytest.fixture
def field(world):
    return Field(world)
