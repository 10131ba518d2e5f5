"""Editable submission, editable case and in-person lesson each have one home: a QuerySet method beside the
model and its property twin, which services, homes and templates read (never the states or kinds)."""

import pytest

from fieldwork.models import Submission, SubmissionState
from fieldwork.projects.models import CaseStatus, ModelCase
from tests.courses.factories import TeamFactory
from tests.fieldwork.factories import AssignmentFactory
from tests.projects.factories import FieldProjectFactory, ModelCaseFactory

pytestmark = pytest.mark.django_db


def test_editable_submission_agrees_with_its_queryset_twin(world):
    assignment = AssignmentFactory(module=world.basics)
    submission = Submission.objects.create(assignment=assignment, enrolment=world.enrolment)
    editable = set()
    for state in SubmissionState:
        Submission.objects.filter(pk=submission.pk).update(state=state)
        row = Submission.objects.get(pk=submission.pk)
        assert row.is_editable == Submission.objects.editable().filter(pk=row.pk).exists(), state
        if row.is_editable:
            editable.add(state)
    assert editable == {SubmissionState.DRAFT, SubmissionState.RETURNED}


def test_editable_case_agrees_with_its_queryset_twin(world):
    team = TeamFactory(cohort=world.cohort, community=world.community)
    case = ModelCaseFactory(project=FieldProjectFactory(team=team))
    editable = set()
    for status in CaseStatus:
        ModelCase.objects.filter(pk=case.pk).update(status=status)
        row = ModelCase.objects.get(pk=case.pk)
        assert row.is_editable == ModelCase.objects.editable().filter(pk=row.pk).exists(), status
        if row.is_editable:
            editable.add(status)
    assert editable == {CaseStatus.DRAFT, CaseStatus.RETURNED}


def test_in_person_lesson_agrees_with_its_queryset_twin(world):
    from courses.models import Lesson, LessonKind

    lesson = world.skills_lesson
    in_person = set()
    for kind in LessonKind:
        Lesson.objects.filter(pk=lesson.pk).update(kind=kind)
        row = Lesson.objects.get(pk=lesson.pk)
        assert row.is_in_person == Lesson.objects.in_person().filter(pk=row.pk).exists(), kind
        if row.is_in_person:
            in_person.add(kind)
    assert in_person == set(LessonKind) - {LessonKind.READING}
