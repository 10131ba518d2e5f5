"""The grading page: a re-grade starts from the current grade; level descriptors; who has not handed in."""

import re

import pytest
from django.urls import reverse

from tests.courses.factories import EnrolmentFactory

pytestmark = pytest.mark.django_db


def test_regrade_starts_from_the_current_scores_and_feedback(client, field):
    submission = field.graded()
    (c1, _low1, high1), _second = field.rubric
    client.force_login(field.world.instructor)
    page = client.get(reverse("fieldwork:submission-grade", args=[submission.pk]))
    html = page.content.decode()
    assert re.search(rf'name="level_{c1.pk}" value="{high1.pk}"[^>]* checked>', html)
    assert re.search(rf'data-testid="points-{c1.pk}" value="8(\.0)?"', html)
    assert "资产识别全面，居民参与可以更多。</textarea>" in html


def test_first_grade_starts_empty(client, field):
    submission = field.submitted()
    client.force_login(field.world.instructor)
    html = client.get(reverse("fieldwork:submission-grade", args=[submission.pk])).content.decode()
    assert " checked" not in html
    assert '<textarea id="feedback" name="feedback" rows="5"></textarea>' in html


def test_level_descriptors_show_beside_each_level(client, field):
    submission = field.submitted()
    (_c1, low1, _high1), _second = field.rubric
    low1.description = "只列出了少数资产，未与居民核实。"
    low1.save()
    client.force_login(field.world.instructor)
    html = client.get(reverse("fieldwork:submission-grade", args=[submission.pk])).content.decode()
    assert "只列出了少数资产，未与居民核实。" in html


def test_assignment_page_lists_who_has_not_handed_in(client, field):
    world = field.world
    field.submitted()  # the trainee hands in; the teammate and the classmate do not
    late = EnrolmentFactory(cohort=world.cohort, community=world.community)
    client.force_login(world.instructor)
    html = client.get(reverse("fieldwork:assignment-detail", args=[field.assignment.pk])).content.decode()
    listed = html.split('data-testid="not-handed-in">')[1].split("</p>")[0]
    assert world.trainee.full_name not in listed
    for enrolment in (field.teammate_enrolment, field.classmate_enrolment, late):
        assert enrolment.trainee.full_name in listed


def test_trainees_do_not_see_who_has_not_handed_in(client, field):
    client.force_login(field.world.trainee)
    html = client.get(reverse("fieldwork:assignment-detail", args=[field.assignment.pk])).content.decode()
    assert 'data-testid="not-handed-in"' not in html
