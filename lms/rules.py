import rules

from lms.predicates import (
    can_govern_user,
    can_view_audit,
    can_view_audit_entry,
    can_view_mobile,
    is_district_staff_for,
    is_superuser,
)

staff_or_superuser = is_superuser | is_district_staff_for
for model in ("district", "town", "community", "districtstaff", "user"):
    rules.add_perm(f"lms.view_{model}", staff_or_superuser)
rules.add_perm("lms.add_user", staff_or_superuser)
rules.add_perm("lms.change_user", can_govern_user)
for model in ("town", "community"):
    rules.add_perm(f"lms.add_{model}", staff_or_superuser)
    rules.add_perm(f"lms.change_{model}", staff_or_superuser)
for model in ("district", "districtstaff"):
    rules.add_perm(f"lms.add_{model}", is_superuser)
    rules.add_perm(f"lms.change_{model}", is_superuser)
for model in ("district", "town", "community", "districtstaff", "user", "auditentry"):
    rules.add_perm(f"lms.delete_{model}", is_superuser)
rules.add_perm("lms.view_auditentry", is_superuser)
# Towns and communities of a district, kept by its staff from /places/ (on a district, town or community).
rules.add_perm("lms.manage_places", staff_or_superuser)
rules.add_perm("lms.view_audit", can_view_audit)
rules.add_perm("lms.view_audit_entry", can_view_audit_entry)
rules.add_perm("lms.view_mobile", can_view_mobile)  # on a person: itself, superusers, staff of its districts
