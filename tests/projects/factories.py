import io
from datetime import date

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
