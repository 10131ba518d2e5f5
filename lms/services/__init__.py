"""State changes of people, accounts and places: one transactional function each."""

from lms.services.passwords import password_change, password_reset_by_staff, set_password_links, temporary_password
from lms.services.people import person_create, person_deactivate, person_update
from lms.services.places import (
    check_choosable,
    community_create,
    community_delete,
    community_reinstate,
    community_rename,
    community_retire,
    town_create,
    town_delete,
    town_reinstate,
    town_rename,
    town_retire,
)

__all__ = [
    "check_choosable",
    "community_create",
    "community_delete",
    "community_reinstate",
    "community_rename",
    "community_retire",
    "password_change",
    "password_reset_by_staff",
    "person_create",
    "person_deactivate",
    "person_update",
    "set_password_links",
    "temporary_password",
    "town_create",
    "town_delete",
    "town_reinstate",
    "town_rename",
    "town_retire",
]
