"""The attendance sheet is searchable by name, team and community, and a filtered sheet is whole on one page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.models import Attendance, Enrolment
from lms.models import User
from tests.courses.factories import EnrolmentFactory, TeamFactory
from tests.lms.factories import CommunityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def crowd(world, session):
    """60 trainees of team 河岗队 (community 河岗) and 3 of team 竹园队 (community 竹园), beside world.trainee."""
    zhuyuan = CommunityFactory(town=world.community.town, name="竹园社区")
    hegang_team = TeamFactory(cohort=world.cohort, name="河岗队", community=world.community)
    zhuyuan_team = TeamFactory(cohort=world.cohort, name="竹园队", community=zhuyuan)
    users = User.objects.bulk_create(
        [User(username=f"crowd-{i}", full_name=f"河岗学员{i:02d}", password="!") for i in range(60)]
        + [User(username=f"zy-{i}", full_name=f"竹园学员{i}", password="!") for i in range(3)]
    )
    Enrolment.objects.bulk_create(
        [Enrolment(cohort=world.cohort, trainee=u, community=world.community, team=hegang_team) for u in users[:60]]
        + [Enrolment(cohort=world.cohort, trainee=u, community=zhuyuan, team=zhuyuan_team) for u in users[60:]]
    )
    EnrolmentFactory(cohort=world.cohort, community=zhuyuan, trainee__full_name="何秀英")
    return {"hegang": hegang_team, "zhuyuan": zhuyuan_team, "zhuyuan_community": zhuyuan}


def _names(response) -> list[str]:
    import re

    page = response.content.decode()
    sheet = page[page.index('data-testid="attendance-sheet"') :]
    return re.findall(r'<div class="sheet-name"><strong>([^<]*)</strong>', sheet)


def test_sheet_pages_50_at_a_time_unfiltered(client, world, crowd, session):
    client.force_login(world.instructor)
    assert len(_names(client.get(f"/sessions/{session.pk}/"))) == 50


def test_search_by_name_team_or_community(client, world, crowd, session):
    client.force_login(world.instructor)
    url = f"/sessions/{session.pk}/"
    assert _names(client.get(url, {"q": "秀英"})) == ["何秀英"]
    assert len(_names(client.get(url, {"q": "竹园"}))) == 4  # the team's three and 何秀英 of 竹园社区
    assert _names(client.get(url, {"team": crowd["zhuyuan"].pk})) == ["竹园学员0", "竹园学员1", "竹园学员2"]
    by_community = _names(client.get(url, {"community": crowd["zhuyuan_community"].pk}))
    assert sorted(by_community) == ["何秀英", "竹园学员0", "竹园学员1", "竹园学员2"]


def test_a_filtered_sheet_is_whole_on_one_page(client, world, crowd, session):
    client.force_login(world.instructor)
    names = _names(client.get(f"/sessions/{session.pk}/", {"team": crowd["hegang"].pk}))
    assert len(names) == 60 and names[0] == "河岗学员00" and names[-1] == "河岗学员59"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"team": "999999"}, "Unknown team: choose one of this session's teams."),
        ({"team": "abc"}, "Unknown team: choose one of this session's teams."),
        ({"community": "1" * 20}, "Unknown community: choose one of this session's communities."),
    ],
)
def test_an_unknown_filter_answers_400_with_the_reason(client, world, crowd, session, params, message):
    client.force_login(world.instructor)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    before = Attendance.objects.count()
    response = client.get(f"/sessions/{session.pk}/", params)
    assert response.status_code == 400
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert Attendance.objects.count() == before


def test_a_team_of_another_cohort_is_an_unknown_filter(client, world, crowd, session):
    foreign = TeamFactory(cohort=world.other_cohort, name="外区队")
    client.force_login(world.instructor)
    assert client.get(f"/sessions/{session.pk}/", {"team": foreign.pk}).status_code == 400


def test_filtered_sheet_takes_the_same_queries_at_two_sizes(client, world, crowd, session):
    client.force_login(world.instructor)
    counts = []
    for extra in (0, 40):
        users = User.objects.bulk_create(
            [User(username=f"more-{extra}-{i}", full_name=f"竹园新学员{i}", password="!") for i in range(extra)]
        )
        Enrolment.objects.bulk_create(
            [
                Enrolment(cohort=world.cohort, trainee=u, community=crowd["zhuyuan_community"], team=crowd["zhuyuan"])
                for u in users
            ]
        )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/sessions/{session.pk}/", {"team": crowd["zhuyuan"].pk, "q": "竹园"})
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
