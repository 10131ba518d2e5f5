from datetime import timedelta

import pytest
from django.utils import timezone

from fieldwork import services
from fieldwork.models import WorkMode
from tests.courses.factories import EnrolmentFactory, TeamFactory
from tests.fieldwork.factories import AssignmentFactory, add_rubric, photo, report


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    """Every fieldwork test stores files under its own temporary folder."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    root = tmp_path / "private"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": root}},
    }
    return root


def stored_files(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file())


class Field:
    """The world plus an individual assignment with a rubric and a team assignment."""

    def __init__(self, world):
        self.world = world
        self.assignment = AssignmentFactory(module=world.skills, title="社区资产地图")
        self.rubric = add_rubric(self.assignment)
        self.team = TeamFactory(cohort=world.cohort, name="河岗社区规划师团队", community=world.community)
        world.enrolment.team = self.team
        world.enrolment.save(update_fields=["team"])
        self.teammate_enrolment = EnrolmentFactory(cohort=world.cohort, community=world.community, team=self.team)
        self.teammate = self.teammate_enrolment.trainee
        self.classmate_enrolment = EnrolmentFactory(cohort=world.cohort, community=world.community)
        self.classmate = self.classmate_enrolment.trainee
        self.team_assignment = AssignmentFactory(module=world.skills, title="参与式设计方案", mode=WorkMode.TEAM)
        self.team_rubric = add_rubric(self.team_assignment)
        self.other_assignment = AssignmentFactory(module=world.other_lesson.module, title="顺德作业")
        add_rubric(self.other_assignment)

    def scores(self, rubric=None, points=(8, 7)):
        return [
            services.ScoreInput(criterion_id=c.pk, level_id=(high if p >= 6 else low).pk, points=p)
            for (c, low, high), p in zip(rubric or self.rubric, points, strict=True)
        ]

    def submitted(self, *, assignment=None, enrolment=None, files=None):
        assignment = assignment or self.assignment
        enrolment = enrolment or self.world.enrolment
        submission = services.submission_start(assignment=assignment, enrolment=enrolment, actor=enrolment.trainee)
        services.submission_file_add(
            submission=submission, uploads_=files or [photo(), report()], actor=enrolment.trainee
        )
        services.submission_submit(submission=submission, actor=enrolment.trainee)
        submission.refresh_from_db()
        return submission

    def graded(self, **kwargs):
        submission = self.submitted(**kwargs)
        services.submission_grade(
            submission=submission,
            scores=self.scores(),
            feedback="资产识别全面，居民参与可以更多。",
            actor=self.world.instructor,
        )
        submission.refresh_from_db()
        return submission

    def released(self, **kwargs):
        submission = self.graded(**kwargs)
        services.grade_release(submission=submission, actor=self.world.instructor)
        submission.refresh_from_db()
        return submission


@pytest.fixture
def field(world):
    return Field(world)


def past(days=1):
    return timezone.now() - timedelta(days=days)


def future(days=1):
    return timezone.now() + timedelta(days=days)
