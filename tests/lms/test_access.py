"""The one fetch-and-authorise rule behind every access_* selector."""

import pytest

from courses.models import Cohort
from lms.access import access, parse_id
from lms.errors import NotFound


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, 7),
        ("7", 7),
        ("0", None),
        (0, None),
        (-1, None),
        ("-1", None),
        ("1e3", None),
        (" 7", None),
        ("7.0", None),
        ("٧", None),  # an Arabic-Indic digit: str.isdigit() says yes, the database would not
        ("²", None),
        (True, None),
        (None, None),
        (7.0, None),
        ("9" * 30, None),
        (str(2**63), None),
        (str(2**63 - 1), 2**63 - 1),
    ],
)
def test_ids_are_parsed_strictly(value, expected):
    assert parse_id(value) == expected


@pytest.mark.django_db
def test_missing_malformed_and_forbidden_all_answer_the_same_not_found(world, django_assert_max_num_queries):
    answers = []
    for user, pk in (
        (world.trainee, world.other_cohort.pk),  # forbidden
        (world.trainee, 10**12),  # missing
        (world.trainee, "abc"),  # malformed
        (world.trainee, str(2**70)),  # out of range: never reaches the database
    ):
        with pytest.raises(NotFound) as caught:
            access(Cohort.objects.all(), pk, user=user, perm="courses.view_cohort_content")
        answers.append((caught.value.code, str(caught.value.message)))
    assert len(set(answers)) == 1 and answers[0][0] == "not_found"
    assert access(Cohort.objects.all(), str(world.cohort.pk), user=world.trainee, perm="courses.view_cohort_content")
    with django_assert_max_num_queries(0), pytest.raises(NotFound) as caught:
        access(Cohort.objects.all(), "x", user=world.trainee, perm="courses.view_cohort_content")
    assert caught.value.code == "not_found"


@pytest.mark.django_db
def test_any_of_several_permissions_opens_the_row(world):
    perms = ("courses.manage_cohort", "courses.view_cohort_content")
    assert access(Cohort.objects.all(), world.cohort.pk, user=world.trainee, perm=perms) == world.cohort
    with pytest.raises(NotFound) as caught:
        access(Cohort.objects.all(), world.cohort.pk, user=world.trainee, perm=("courses.manage_cohort",))
    assert caught.value.code == "not_found"
