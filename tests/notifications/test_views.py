from fieldwork import services as fieldwork_services
from notifications.models import Notification, Preference


def returned(field):
    submission = field.submitted()
    fieldwork_services.submission_return(submission=submission, feedback="请补充。", actor=field.world.instructor)
    return Notification.objects.get(recipient=field.world.trainee)


def test_bell_counts_unread_and_the_list_shows_only_ones_own(field, client):
    notification = returned(field)
    client.force_login(field.world.trainee)
    page = client.get("/notifications/").content.decode()
    assert "作业被退回修改" in page and "社区资产地图" in page
    assert 'class="badge">1<' in client.get("/notifications/").content.decode()
    client.force_login(field.classmate)
    page = client.get("/notifications/").content.decode()
    assert "社区资产地图" not in page and 'class="badge"' not in page
    # Someone else's id marks nothing.
    client.post("/notifications/read/", {"notification": notification.pk})
    notification.refresh_from_db()
    assert notification.read_at is None


def test_marking_read_clears_the_bell(field, client):
    notification = returned(field)
    client.force_login(field.world.trainee)
    response = client.post("/notifications/read/", {"notification": notification.pk})
    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert 'class="badge"' not in client.get("/notifications/").content.decode()


def test_bad_mark_read_input_answers_400_and_changes_nothing(field, client):
    notification = returned(field)
    client.force_login(field.world.trainee)
    response = client.post("/notifications/read/", {"notification": "abc"})
    assert response.status_code == 400
    assert "输入整数" in response.content.decode()
    notification.refresh_from_db()
    assert notification.read_at is None


def test_preference_page_turns_email_off_and_on(world, client):
    client.force_login(world.trainee)
    assert 'name="email_enabled" checked' in client.get("/notifications/settings/").content.decode()
    client.post("/notifications/settings/", {})
    assert Preference.objects.get(user=world.trainee).email_enabled is False
    assert 'name="email_enabled" checked' not in client.get("/notifications/settings/").content.decode()
    client.post("/notifications/settings/", {"email_enabled": "on"})
    assert Preference.objects.get(user=world.trainee).email_enabled is True


def test_pages_need_a_login(client):
    assert client.get("/notifications/").status_code == 302
    assert client.post("/notifications/read/").status_code == 302
