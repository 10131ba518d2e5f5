"""Towns and communities kept by district staff: the page, the services, retirement and its reach."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from courses import services as courses
from courses.models import Enrolment, Team
from courses.services.enrol_sheet import enrol_sheet_preview
from lms import selectors, services
from lms.errors import Conflict, NotFound, ValidationFailed
from lms.models import AuditEntry, Community, Town, User
from tests.courses.factories import EnrolmentFactory, TeamFactory
from tests.courses.sheets import xlsx_bytes
from tests.lms.factories import CommunityFactory, TownFactory, UserFactory

pytestmark = pytest.mark.django_db


def places_state():
    """Everything a refused request must leave as it was."""
    return (
        sorted(Town.objects.values_list("pk", "name", "retired_at")),
        sorted(Community.objects.values_list("pk", "town_id", "name", "retired_at")),
        AuditEntry.objects.changes().count(),
    )


@pytest.fixture
def staff_client(client, world):
    client.force_login(world.staff)
    return client


@pytest.fixture
def places(world):
    """A second town and an unused community in the staff's district, and a town of the other district."""
    town = world.community.town
    unused = CommunityFactory(town=town, name="西坊村")
    other_town = TownFactory(district=world.other_cohort.district, name="大良街道")
    other_community = CommunityFactory(town=other_town, name="金榜社区")
    return town, unused, other_town, other_community


# --- the page


def test_page_lists_own_district_places_with_counts(staff_client, world, places):
    town, unused, other_town, other_community = places
    TeamFactory(cohort=world.cohort, community=world.community)
    EnrolmentFactory(cohort=world.cohort, community=world.community, status="withdrawn")
    response = staff_client.get("/places/")
    text = response.content.decode()
    assert response.status_code == 200
    row = text.split(f'data-community="{world.community.pk}"')[1].split("</tr>")[0]
    # trainees: active enrolments (1); enrolments: any (2); teams: 1
    assert [cell.split("<")[0] for cell in row.split("<td>")[2:]] == ["1", "2", "1"]
    assert town.name in text and unused.name in text
    assert other_town.name not in text and other_community.name not in text


@pytest.mark.parametrize("role", ["trainee", "instructor", "stranger", "other_staff"])
def test_people_without_a_staff_role_here_see_nothing(client, world, places, role):
    _town, unused, _other_town, _other_community = places
    client.force_login(getattr(world, role))
    if role != "other_staff":
        assert client.get("/places/").status_code == 404
    else:
        assert unused.name not in client.get("/places/").content.decode()


def test_the_people_page_and_district_overview_link_to_places(staff_client):
    assert 'href="/places/"' in staff_client.get("/people/").content.decode()
    assert 'href="/places/"' in staff_client.get("/district/cohorts/").content.decode()


def _places_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/places/").status_code == 200
    return len(queries)


def test_page_queries_do_not_grow_with_places(staff_client, world):
    small = _places_queries(staff_client)
    for _t in range(5):
        town = TownFactory(district=world.district)
        for _c in range(4):
            EnrolmentFactory(cohort=world.cohort, community=CommunityFactory(town=town))
    assert _places_queries(staff_client) == small


# --- another district's places: "not found", nothing changed


def test_every_object_of_another_district_is_not_found(staff_client, world, places):
    _town, _unused, other_town, other_community = places
    other_district = world.other_cohort.district
    before = places_state()
    assert staff_client.get(f"/places/towns/{other_town.pk}/").status_code == 404
    assert staff_client.get(f"/places/communities/{other_community.pk}/").status_code == 404
    for action in ("rename", "retire", "reinstate", "delete"):
        assert staff_client.post(f"/places/towns/{other_town.pk}/{action}/", {"name": "新名"}).status_code == 404
        response = staff_client.post(f"/places/communities/{other_community.pk}/{action}/", {"name": "新名"})
        assert response.status_code == 404
    assert staff_client.post(f"/places/districts/{other_district.pk}/towns/", {"name": "新镇"}).status_code == 404
    assert staff_client.post("/places/communities/", {"town": other_town.pk, "name": "新村"}).status_code == 404
    for town_id in ("", "abc", "0", "99999999"):
        assert staff_client.post("/places/communities/", {"town": town_id, "name": "新村"}).status_code == 404
    assert places_state() == before


def test_services_refuse_another_districts_staff(world, places):
    _town, _unused, other_town, other_community = places
    before = places_state()
    calls = [
        lambda: services.town_create(district=world.other_cohort.district, name="新镇", actor=world.staff),
        lambda: services.town_rename(town=other_town, name="新镇", actor=world.staff),
        lambda: services.town_retire(town=other_town, actor=world.staff),
        lambda: services.community_create(town=other_town, name="新村", actor=world.staff),
        lambda: services.community_rename(community=other_community, name="新村", actor=world.staff),
        lambda: services.community_retire(community=other_community, actor=world.staff),
        lambda: services.community_delete(community=other_community, actor=world.staff),
    ]
    for call in calls:
        with pytest.raises(NotFound) as raised:
            call()
        assert raised.value.code == "not_found"
    assert places_state() == before


# --- add and rename: names unique within the town or district


def test_add_a_town_and_a_community_from_the_page(staff_client, world):
    response = staff_client.post(f"/places/districts/{world.district.pk}/towns/", {"name": "  九江 镇 "})
    assert response.status_code == 302
    town = Town.objects.get(district=world.district, name="九江 镇")
    response = staff_client.post("/places/communities/", {"town": town.pk, "name": "河清社区"})
    assert response.status_code == 302
    community = Community.objects.get(town=town, name="河清社区")
    assert community in selectors.choosable_communities(user=world.staff)
    verbs = list(AuditEntry.objects.order_by("pk").values_list("verb", "district_id"))[-2:]
    assert verbs == [("town.created", world.district.pk), ("community.created", world.district.pk)]


def test_a_taken_community_name_is_refused_with_a_message_and_nothing_changed(staff_client, world):
    town = world.community.town
    before = places_state()
    response = staff_client.post("/places/communities/", {"town": town.pk, "name": "河岗社区"})
    assert response.status_code == 409
    assert f"{town.name}已有名为“河岗社区”的社区" in response.content.decode()
    assert places_state() == before


def test_a_taken_name_on_rename_is_refused(world, places, english):
    town, unused, _other_town, _other_community = places
    before = places_state()
    with pytest.raises(Conflict) as raised:
        services.community_rename(community=unused, name="河岗社区", actor=world.staff)
    assert raised.value.code == "community_name_taken"
    assert raised.value.message == f"The town {town.name} already has a community named “河岗社区”."
    other = TownFactory(district=world.district, name="九江镇")
    before = places_state()
    with pytest.raises(Conflict) as raised:
        services.town_rename(town=other, name=town.name, actor=world.staff)
    assert raised.value.code == "town_name_taken"
    assert town.name in raised.value.message
    assert places_state() == before


def test_the_same_name_in_another_town_is_fine(world):
    other = TownFactory(district=world.district, name="九江镇")
    community = services.community_create(town=other, name="河岗社区", actor=world.staff)
    assert community.name == "河岗社区"


def test_the_database_refuses_a_duplicate_whatever_the_code(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Community.objects.create(town=world.community.town, name="河岗社区")
    with pytest.raises(IntegrityError), transaction.atomic():
        Town.objects.create(district=world.district, name=world.community.town.name)


@pytest.mark.parametrize("name", ["", "   ", "长" * 65])
def test_a_bad_name_is_refused(staff_client, world, name):
    before = places_state()
    response = staff_client.post(f"/places/districts/{world.district.pk}/towns/", {"name": name})
    assert response.status_code == 400
    response = staff_client.post(f"/places/communities/{world.community.pk}/rename/", {"name": name})
    assert response.status_code == 400
    assert places_state() == before


def test_rename_is_audited_and_history_follows(staff_client, world):
    response = staff_client.post(f"/places/communities/{world.community.pk}/rename/", {"name": "河岗村"})
    assert response.status_code == 302
    world.enrolment.refresh_from_db()
    assert world.enrolment.community.name == "河岗村"
    entry = AuditEntry.objects.get(verb="community.renamed")
    assert entry.data == {"old": "河岗社区", "new": "河岗村"} and entry.district_id == world.district.pk


# --- retire: kept for history, offered for nothing new


def test_retired_community_leaves_every_choice_but_keeps_its_records(staff_client, world, places):
    _town, unused, _other_town, _other_community = places
    response = staff_client.post(f"/places/communities/{world.community.pk}/retire/")
    assert response.status_code == 302
    assert world.community not in selectors.choosable_communities(user=world.staff)
    assert unused in selectors.choosable_communities(user=world.staff)
    world.enrolment.refresh_from_db()
    assert world.enrolment.community == world.community  # history keeps it
    cohort_page = staff_client.get(f"/cohorts/{world.cohort.pk}/").content.decode()
    enrol_form = cohort_page.split('id="id_community"')[1].split("</select>")[0]
    assert f'value="{world.community.pk}"' not in enrol_form and f'value="{unused.pk}"' in enrol_form
    person_new = staff_client.get("/people/new/").content.decode()
    assert f'value="{world.community.pk}"' not in person_new
    assert "河岗社区" in staff_client.get("/places/").content.decode()  # still listed, marked retired


def test_a_retired_town_hides_its_communities(world, places):
    town, unused, _other_town, _other_community = places
    services.town_retire(town=town, actor=world.staff)
    assert not selectors.choosable_communities(user=world.staff).filter(town=town).exists()
    with pytest.raises(Conflict) as raised:
        services.community_create(town=town, name="新村", actor=world.staff)
    assert raised.value.code == "town_retired"
    services.town_reinstate(town=town, actor=world.staff)
    assert unused in selectors.choosable_communities(user=world.staff)


def test_enrolling_into_a_retired_community_is_refused(staff_client, world, english):
    services.community_retire(community=world.community, actor=world.staff)
    trainee = UserFactory()
    with pytest.raises(ValidationFailed) as raised:
        courses.enrolment_create(cohort=world.cohort, trainee=trainee, community=world.community, actor=world.staff)
    assert raised.value.code == "community_retired"
    response = staff_client.post(
        f"/cohorts/{world.cohort.pk}/enrol/",
        {"trainee": trainee.username, "community": world.community.pk, "team": ""},
    )
    assert response.status_code == 400
    assert not Enrolment.objects.filter(trainee=trainee).exists()


def test_a_person_keeps_a_retired_community_but_cannot_be_given_one(staff_client, world, places, english):
    _town, unused, _other_town, _other_community = places
    world.trainee.community = world.community
    world.trainee.save(update_fields=["community"])
    services.community_retire(community=world.community, actor=world.staff)
    form = staff_client.get(f"/people/{world.trainee.pk}/").content.decode()
    assert f'value="{world.community.pk}" selected' in form  # the form shows what the person has
    fields = {"full_name": "何家明", "mobile": "13800000001", "email": ""}
    response = staff_client.post(f"/people/{world.trainee.pk}/edit/", {**fields, "community": world.community.pk})
    assert response.status_code == 302  # saved unchanged: the retired community stays
    world.trainee.refresh_from_db()
    assert world.trainee.community == world.community and world.trainee.full_name == "何家明"
    world.trainee.community = unused
    world.trainee.save(update_fields=["community"])
    response = staff_client.post(f"/people/{world.trainee.pk}/edit/", {**fields, "community": world.community.pk})
    assert response.status_code == 400
    world.trainee.refresh_from_db()
    assert world.trainee.community == unused
    with pytest.raises(ValidationFailed) as raised:
        services.person_update(person=world.trainee, community=world.community, actor=world.staff, **fields)
    assert raised.value.code == "community_retired"


def test_the_sheet_refuses_a_retired_community_naming_the_row(staff_client, world, english):
    from courses.enrol_sheets import read_sheet

    services.community_retire(community=world.community, actor=world.staff)
    data = xlsx_bytes([["甲", "13900000000", "西坊村"], ["乙", "13900000001", "河岗社区"]])
    CommunityFactory(town=world.community.town, name="西坊村")
    preview = enrol_sheet_preview(cohort=world.cohort, rows=read_sheet(name="s.xlsx", data=data), actor=world.staff)
    assert [r.outcome for r in preview.rows] == ["new", "error"]
    assert preview.rows[1].reasons == ["community “河岗社区” is retired: choose one in use"]
    before = (User.objects.count(), Enrolment.objects.count())
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = staff_client.post(
        f"/cohorts/{world.cohort.pk}/enrol-sheet/", {"sheet": SimpleUploadedFile("名单.xlsx", data)}
    )
    text = response.content.decode()
    assert response.status_code == 400
    assert 'data-row="3" data-outcome="error"' in text and "已停用" in text and 'name="staged"' not in text
    assert (User.objects.count(), Enrolment.objects.count()) == before


def test_a_name_shared_with_a_retired_community_means_the_one_in_use(world):
    from courses.enrol_sheets import read_sheet

    services.community_retire(community=world.community, actor=world.staff)
    in_use = CommunityFactory(town__district=world.district, town__name="九江镇", name="河岗社区")
    data = xlsx_bytes([["甲", "13900000000", "河岗社区"]])
    preview = enrol_sheet_preview(cohort=world.cohort, rows=read_sheet(name="s.xlsx", data=data), actor=world.staff)
    assert preview.rows[0].outcome == "new" and preview.rows[0].community == in_use


def test_retire_twice_and_reinstate_in_use_are_conflicts(world):
    services.community_retire(community=world.community, actor=world.staff)
    with pytest.raises(Conflict) as raised:
        services.community_retire(community=world.community, actor=world.staff)
    assert raised.value.code == "already_retired"
    services.community_reinstate(community=world.community, actor=world.staff)
    with pytest.raises(Conflict) as raised:
        services.community_reinstate(community=world.community, actor=world.staff)
    assert raised.value.code == "not_retired"


# --- delete: only what nothing names


def test_a_community_named_by_enrolments_or_teams_cannot_be_deleted(staff_client, world, places):
    town, unused, _other_town, _other_community = places
    TeamFactory(cohort=world.cohort, community=unused)
    before = places_state()
    for community in (world.community, unused):
        response = staff_client.post(f"/places/communities/{community.pk}/delete/")
        assert response.status_code == 409
        assert "不能删除" in response.content.decode()
    assert places_state() == before
    Team.objects.filter(community=unused).delete()
    assert staff_client.post(f"/places/communities/{unused.pk}/delete/").status_code == 302
    assert not Community.objects.filter(pk=unused.pk).exists()
    entry = AuditEntry.objects.get(verb="community.deleted")
    assert entry.data == {"name": "西坊村"} and entry.target_id == str(town.pk)


def test_a_town_with_communities_cannot_be_deleted(world, places):
    town, _unused, _other_town, _other_community = places
    with pytest.raises(Conflict) as raised:
        services.town_delete(town=town, actor=world.staff)
    assert raised.value.code == "town_in_use"
    empty = TownFactory(district=world.district, name="丹灶镇")
    assert services.town_delete(town=empty, actor=world.staff) == world.district
    assert not Town.objects.filter(pk=empty.pk).exists()


def test_an_unknown_action_is_not_a_page(staff_client, world):
    assert staff_client.post(f"/places/communities/{world.community.pk}/explode/").status_code == 404
    assert staff_client.get(f"/places/communities/{world.community.pk}/retire/").status_code == 405


def test_the_api_refuses_enrolling_into_a_retired_community(client, world):
    services.community_retire(community=world.community, actor=world.staff)
    client.force_login(world.staff)
    before = Enrolment.objects.count()
    response = client.post(
        "/api/v1/enrolments/",
        {"cohort": world.cohort.pk, "trainee": world.stranger.pk, "community": world.community.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "community_retired"
    assert Enrolment.objects.count() == before


def test_a_moved_session_keeps_its_retired_community_but_a_new_one_cannot_take_it(world):
    import datetime as dt

    from courses.models import LessonKind
    from courses.services.setup import session_save
    from tests.courses.factories import LessonFactory

    lesson = LessonFactory(module=world.basics, position=9, kind=LessonKind.FIELD_GUIDANCE)
    fields = {
        "date": world.cohort.starts_on,
        "start_time": dt.time(9),
        "end_time": dt.time(11),
        "place": "河岗村委会",
        "community": world.community,
    }
    session = session_save(cohort=world.cohort, lesson=lesson, actor=world.staff, **fields)
    services.community_retire(community=world.community, actor=world.staff)
    moved = session_save(
        cohort=world.cohort, session=session, lesson=lesson, actor=world.staff, **{**fields, "end_time": dt.time(12)}
    )
    assert moved.community == world.community
    with pytest.raises(ValidationFailed) as raised:
        session_save(cohort=world.cohort, lesson=lesson, actor=world.staff, **fields)
    assert raised.value.code == "community_retired"
