import pytest

from tests.certificates.conftest import render_queue  # noqa: F401 -- booklet tests use a worker of their own
from tests.courses.factories import EnrolmentFactory, TeamFactory
from tests.lms.factories import CommunityFactory
from tests.projects.factories import FieldProjectFactory


class Projects:
    """The world's trainee in a team with a project, and a second team of the same cohort."""

    def __init__(self, world):
        self.world = world
        self.team = TeamFactory(cohort=world.cohort, name="河岗社区规划师团队", community=world.community)
        world.enrolment.team = self.team
        world.enrolment.save()
        self.project = FieldProjectFactory(team=self.team, title="特色农耕馆")
        other_community = CommunityFactory(town=world.community.town, name="简村社区")
        self.other_team = TeamFactory(cohort=world.cohort, name="简村社区规划师团队", community=other_community)
        self.other_member = EnrolmentFactory(
            cohort=world.cohort, community=other_community, team=self.other_team
        ).trainee
        self.other_project = FieldProjectFactory(team=self.other_team, title="简村口袋公园")
        foreign_team = TeamFactory(cohort=world.other_cohort, community=world.other_enrolment.community)
        world.other_enrolment.team = foreign_team
        world.other_enrolment.save()
        self.foreign_project = FieldProjectFactory(team=foreign_team, title="别区项目")


@pytest.fixture
def projects(world):
    return Projects(world)


@pytest.fixture(autouse=True)
def in_english(english):
    """Service messages are asserted in English; pages switch language with the set_language post."""
