"""The trainee home shows the score the trainee sees everywhere else: its own adjusted total on team work
(fieldwork.selectors.member_adjustments), never the team's raw score."""

import re

import pytest

from tests.certificates.test_one_definition import adjusted, field  # noqa: F401 -- fixtures

pytestmark = pytest.mark.django_db


def test_the_trainee_home_shows_the_members_adjusted_score(client, adjusted):  # noqa: F811
    for user, expected in ((adjusted.teammate, "10.0"), (adjusted.world.trainee, "18.0")):
        client.force_login(user)
        page = client.get("/todo/trainee/")
        assert page.status_code == 200
        assert re.findall(r'data-testid="released-score">([^<]*)<', page.content.decode()) == [expected]
