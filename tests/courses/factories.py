from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import factory

from courses.models import Cohort, Course, Enrolment, Lesson, LessonKind, Module, Phase, Session, Teaching, Team
from tests.lms.factories import CommunityFactory, DistrictFactory, UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    title = "社区规划师培育课程"
    code = factory.Sequence(lambda n: f"course-{n}")


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    course = factory.SubFactory(CourseFactory)
    district = factory.SubFactory(DistrictFactory)
    year = factory.Sequence(lambda n: 2000 + n)
    name = factory.LazyAttribute(lambda o: f"{o.district.name}{o.year}年培育班")
    starts_on = factory.LazyAttribute(lambda o: date(o.year, 3, 1))
    ends_on = factory.LazyAttribute(lambda o: date(o.year, 12, 31))


class TeachingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Teaching

    cohort = factory.SubFactory(CohortFactory)
    instructor = factory.SubFactory(UserFactory)


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    cohort = factory.SubFactory(CohortFactory)
    phase = Phase.CENTRALIZED
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"模块{n}")


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    module = factory.SubFactory(ModuleFactory)
    position = factory.Sequence(lambda n: n + 1)
    kind = LessonKind.LECTURE
    title = factory.Sequence(lambda n: f"课时{n}")
    body = "## 要点\n\n- 第一点\n- 第二点"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    cohort = factory.SubFactory(CohortFactory)
    name = factory.Sequence(lambda n: f"团队{n}")


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    cohort = factory.SubFactory(CohortFactory)
    trainee = factory.SubFactory(UserFactory)
    community = factory.SubFactory(CommunityFactory, town__district=factory.SelfAttribute("...cohort.district"))


class SessionFactory(factory.django.DjangoModelFactory):
    """A session of a lesson; its cohort follows the lesson, its window the start, as the service sets them."""

    class Meta:
        model = Session
        skip_postgeneration_save = True

    lesson = factory.SubFactory(LessonFactory)
    cohort = factory.LazyAttribute(lambda o: o.lesson.module.cohort)
    starts_at = datetime(2022, 4, 9, 9, 0, tzinfo=SHANGHAI)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=2))
    place = "南海区社区治理学院"
    address = "佛山市南海区桂城街道"
    check_in_opens_at = factory.LazyAttribute(lambda o: o.starts_at - timedelta(minutes=30))
    check_in_closes_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(minutes=30))
