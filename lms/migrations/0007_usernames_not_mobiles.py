"""Usernames are not personal data: every account whose username is a mobile number (made by staff or a
sheet before, "13800012345" or "13800012345-2") gets a random one ("u" and ten letters and digits).
The mobile number stays a login identifier (lms.authentication.UsernameOrMobileBackend); an account
with no mobile keeps its number as its mobile when nobody else has it, so that it can still log in."""

import re
import secrets

from django.db import migrations

MOBILE_USERNAME = re.compile(r"^1\d{10}(-\d+)?$")
ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # lms.services.people.USERNAME_ALPHABET, frozen here


def forwards(apps, schema_editor):
    User = apps.get_model("lms", "User")
    taken = set(User.objects.values_list("username", flat=True))
    mobiles = set(User.objects.exclude(mobile="").values_list("mobile", flat=True))
    for user in User.objects.filter(username__regex=r"^1[0-9]{10}(-[0-9]+)?$").order_by("pk").iterator():
        if not MOBILE_USERNAME.match(user.username):
            continue
        number = user.username[:11]
        fields = ["username"]
        if not user.mobile and number not in mobiles:
            user.mobile = number
            mobiles.add(number)
            fields.append("mobile")
        while True:
            username = "u" + "".join(secrets.choice(ALPHABET) for _ in range(10))
            if username not in taken:
                break
        taken.add(username)
        user.username = username
        user.save(update_fields=fields)


class Migration(migrations.Migration):
    dependencies = [
        ("lms", "0006_places_retired"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
