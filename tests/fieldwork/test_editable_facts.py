""""Editable submission" and "editable case" each have one home: a QuerySet method beside the model and
the model's property twin, which the services, the homes and the templates read (never the states)."""

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
