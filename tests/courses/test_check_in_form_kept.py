"""A check-in typo shows the check-in page again with the message, never a bare error page."""

import pytest

from courses.models import Attendance
from tests.courses.factories import SessionFactory

pytestmark = pytest.mark.django_db


def test_a_code_too_long_shows_the_check_in_page_with_the_message(client, world):
    session = SessionFactory(lesson=world.skills_lesson)
    client.force_login(world.trainee)
    response = client.post(f"/check-in/{session.pk}/", {"code": "1" * 40})
    text = response.content.decode()
    assert response.status_code == 400 and 'role="alert"' in text and 'name="code"' in text
    assert not Attendance.objects.exists()
