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
