from datetime import date

import factory

from courses.models import Cohort, Course, Enrolment, Lesson, LessonKind, Module, Phase, Teaching, Team
from tests.lms.factories import CommunityFactory, DistrictFactory, UserFactory


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
