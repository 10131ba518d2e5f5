import io
from datetime import UTC, date

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from fieldwork.projects.models import (
    ActivityKind,
    CaseStatus,
    CaseTheme,
    EngagementActivity,
    FieldProject,
    ModelCase,
    SupportVisit,
)
from tests.lms.factories import UserFactory


def image_bytes(fmt: str = "JPEG", size=(64, 48), colour=(200, 120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()


def photo_upload(name: str = "现场.jpg", fmt: str = "JPEG", content: bytes | None = None) -> SimpleUploadedFile:
    data = content if content is not None else image_bytes(fmt)
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


class FieldProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FieldProject

    team = factory.SubFactory("tests.courses.factories.TeamFactory")
    community = factory.LazyAttribute(lambda o: o.team.community)
    title = factory.Sequence(lambda n: f"社区微改造项目{n}")
    goals = "让居民参与社区空间改造"


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EngagementActivity

    project = factory.SubFactory(FieldProjectFactory)
    kind = ActivityKind.DELIBERATION
    title = factory.Sequence(lambda n: f"居民议事会{n}")
    held_on = factory.LazyAttribute(lambda o: date(o.project.team.cohort.year, 6, 1))
    place = "社区党群服务中心"
    recorded_by = factory.SubFactory(UserFactory)


class SupportVisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportVisit

    project = factory.SubFactory(FieldProjectFactory)
    instructor = factory.SubFactory(UserFactory)
    visited_on = factory.LazyAttribute(lambda o: date(o.project.team.cohort.year, 5, 1))
    discussion = "梳理项目进展"


class ModelCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelCase

    project = factory.SubFactory(FieldProjectFactory)
    title = factory.Sequence(lambda n: f"治理模式案例{n}")
    theme = CaseTheme.CULTURE
    background = "背景"
    problem = "问题"
    participants = "参与主体"
    process = "过程"
    lessons = "经验"
    status = CaseStatus.DRAFT


def build_scale(world, *, teams: int, members: int, activities: int) -> dict:
    """A cohort-sized data set built with bulk_create: teams with members, projects, activities, approved cases."""
    from datetime import datetime, timedelta

    from courses.models import Enrolment, Team
    from lms.models import Community, User

    cohort = world.cohort
    town = world.community.town
    communities = Community.objects.bulk_create(
        [Community(town=town, name=f"规模社区{i}") for i in range(max(teams // 4, 1))]
    )
    team_rows = Team.objects.bulk_create(
        [Team(cohort=cohort, name=f"规模团队{i}", community=communities[i % len(communities)]) for i in range(teams)]
    )
    users = User.objects.bulk_create(
        [User(username=f"scale{i}", full_name=f"学员{i}", password="!") for i in range(teams * members)]
    )
    Enrolment.objects.bulk_create(
        [
            Enrolment(
                cohort=cohort, trainee=user, community=team_rows[i // members].community, team=team_rows[i // members]
            )
            for i, user in enumerate(users)
        ]
    )
    projects = FieldProject.objects.bulk_create(
        [FieldProject(team=team, community=team.community, title=f"项目{team.name}") for team in team_rows]
    )
    start = date(cohort.year, 4, 1)
    EngagementActivity.objects.bulk_create(
        [
            EngagementActivity(
                project=project,
                kind=ActivityKind.DELIBERATION,
                title=f"活动{n}",
                held_on=start + timedelta(days=n),
                place="社区",
                recorded_by=world.trainee,
                residents=3,
                parent_child_pairs=1,
                party_branches=n % 2,
            )
            for project in projects
            for n in range(activities)
        ],
        batch_size=1000,
    )
    approved_at = datetime(cohort.year, 12, 1, tzinfo=UTC)
    ModelCase.objects.bulk_create(
        [
            ModelCase(
                project=project,
                title=f"{project.title}的治理模式",
                theme=CaseTheme.CULTURE,
                background="农耕文化",
                problem="p",
                participants="p",
                process="p",
                lessons="l",
                status=CaseStatus.APPROVED,
                approved_at=approved_at,
            )
            for project in projects
        ]
    )
    return {"residents": 3 * teams * activities, "activities": teams * activities, "communities": len(communities)}
