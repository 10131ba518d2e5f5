"""State changes of people and accounts: one transactional function each."""

from lms.services.passwords import password_change, password_reset_by_staff, set_password_links, temporary_password
from lms.services.people import person_create, person_deactivate, person_update

__all__ = [
    "password_change",
    "password_reset_by_staff",
    "person_create",
    "person_deactivate",
    "person_update",
    "set_password_links",
    "temporary_password",
]
