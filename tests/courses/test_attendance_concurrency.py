import threading

import pytest
from django.db import connection

from courses import checkin_codes, services
from courses.models import Attendance

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_check_ins_of_one_trainee_record_one_attendance(world, session, clock):
    """Two phones of the same trainee post at once: one row, one "checked in", one "already checked in"."""
    barrier = threading.Barrier(4)
    results, errors = [], []

    def scan():
        try:
            barrier.wait()
            results.append(
                services.attendance_check_in(
                    session=session, user=world.trainee, code=checkin_codes.code_for(session.pk)
                )[1]
            )
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(results) == [False, False, False, True]
    assert Attendance.objects.filter(session=session, enrolment=world.enrolment).count() == 1


def test_a_check_in_racing_the_sessions_deletion_answers_not_found(world, session, clock):
    """Staff delete the session (no attendance yet) while a phone's check-in is on its way: 404, not a 500."""
    from lms.errors import NotFound

    stale = type(session).objects.get(pk=session.pk)  # the phone's request loaded the session before the delete
    type(session).objects.filter(pk=session.pk).delete()
    with pytest.raises(NotFound) as refused:
        services.attendance_check_in(session=stale, user=world.trainee, code=checkin_codes.code_for(stale.pk))
    assert refused.value.code == "not_found"
    assert not Attendance.objects.filter(enrolment=world.enrolment).exists()
