"""Bulk enrolment from a sheet: a preview of every row, then an all-or-nothing commit.

Queries are fixed per batch of rows: lookups go in batches of BATCH mobiles and the writes are
bulk inserts, so a sheet of 2,000 rows costs a few dozen queries, not thousands.
"""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courses.enrol_sheets import SheetRow
from courses.models import Cohort, Enrolment, EnrolmentStatus, Teaching, Team
from lms.audit import audit_record, audit_record_many
from lms.cohort_cache import cohort_changed
from lms.errors import Conflict, NotFound, ValidationFailed
from lms.mobiles import is_mobile, normalise_mobile
from lms.models import Community, DistrictStaff, User
from lms.predicates import enrollable_trainees_q
from lms.services.people import NAME_MAX, random_username

BATCH = 500
NEW = "new"
EXISTING = "existing"
ENROLLED = "enrolled"
CHANGE = "change"  # already in the cohort with another team or community, or withdrawn: a move or a restoration
ERROR = "error"


@dataclass
class RowResult:
    row: SheetRow
    mobile: str
    outcome: str = NEW
    reasons: list[str] = field(default_factory=list)
    account: User | None = None
    community: Community | None = None
    team: Team | None = None
    new_team: str = ""
    # What staff must confirm row by row before a commit (another name, another cohort, a move).
    warnings: list[str] = field(default_factory=list)
    enrolment: Enrolment | None = None

    def refuse(self, reason: str) -> None:
        self.outcome = ERROR
        self.reasons.append(reason)

    @property
    def needs_confirmation(self) -> bool:
        return self.outcome != ERROR and bool(self.warnings)


@dataclass
class SheetPreview:
    cohort: Cohort
    rows: list[RowResult]

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def errors(self) -> list[RowResult]:
        return [r for r in self.rows if r.outcome == ERROR]

    @property
    def new_teams(self) -> list[str]:
        return sorted({r.new_team for r in self.rows if r.new_team and r.outcome != ERROR})

    @property
    def to_confirm(self) -> list[RowResult]:
        return [r for r in self.rows if r.needs_confirmation]

    @property
    def totals(self) -> dict[str, int]:
        return {o: self.count(o) for o in (NEW, EXISTING, ENROLLED, CHANGE, ERROR)}


class SheetNeedsConfirmation(Conflict):
    code = "confirm_rows"

    def __init__(self, preview: SheetPreview, rows: list[RowResult]):
        self.preview = preview
        message = ngettext(
            "%(count)d row must be confirmed; nothing was enrolled.",
            "%(count)d rows must be confirmed; nothing was enrolled.",
            len(rows),
        ) % {"count": len(rows)}
        super().__init__(message, fields={"rows": [f"{r.row.number}: {'；'.join(r.warnings)}" for r in rows]})


class SheetHasErrors(ValidationFailed):
    code = "sheet_rows_invalid"

    def __init__(self, preview: SheetPreview):
        self.preview = preview
        errors = preview.errors
        message = ngettext(
            "%(count)d row has an error; nothing was enrolled.",
            "%(count)d rows have errors; nothing was enrolled.",
            len(errors),
        ) % {"count": len(errors)}
        super().__init__(
            message,
            fields={"rows": [f"{r.row.number}: {'；'.join(r.reasons)}" for r in errors]},
        )


def _community_index(cohort: Cohort, actor: User) -> tuple[dict[str, list[Community]], set[int]]:
    """Each community of the cohort's district under its name and under "town + name" spellings, and
    the ids of those the actor may choose (retired ones are indexed too, so a row naming one is told so)."""
    from lms.selectors import choosable_communities

    index = defaultdict(list)
    for community in Community.objects.filter(town__district_id=cohort.district_id).select_related("town"):
        town = community.town.name
        for key in {
            community.name,
            f"{town}{community.name}",
            f"{town} {community.name}",
            f"{town}·{community.name}",
            f"{town} · {community.name}",
            f"{town}/{community.name}",
        }:
            index[key].append(community)
    choosable = set(
        choosable_communities(user=actor, district_id=cohort.district_id).order_by().values_list("pk", flat=True)
    )
    return index, choosable


def _batches(items: list, size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _check_row(result: RowResult, communities, choosable: set[int]) -> None:
    row = result.row
    name = row.name.strip()
    if not name:
        result.refuse(_("the name is empty"))
    elif len(name) > NAME_MAX:
        result.refuse(_("the name is longer than %(max)d characters") % {"max": NAME_MAX})
    if not is_mobile(result.mobile):
        result.refuse(_("mobile “%(mobile)s” is not 11 digits starting with 1") % {"mobile": row.mobile})
    named = communities.get(row.community.strip(), [])
    # A name shared by a retired community and one in use means the one in use.
    matches = [c for c in named if c.pk in choosable]
    if not row.community.strip():
        result.refuse(_("the community is empty"))
    elif not named:
        result.refuse(_("unknown community “%(name)s” in this district") % {"name": row.community})
    elif not matches:
        result.refuse(_("community “%(name)s” is retired: choose one in use") % {"name": row.community})
    elif len(matches) > 1:
        result.refuse(
            _("community “%(name)s” exists in several towns: write the town before it") % {"name": row.community}
        )
    else:
        result.community = matches[0]
    if row.email:
        try:
            validate_email(row.email)
        except ValidationError:
            result.refuse(_("e-mail “%(email)s” is not valid") % {"email": row.email})
    if len(row.team) > 64:
        result.refuse(_("the team name is longer than 64 characters"))


def _instructor_of_cohort() -> str:
    return _("this mobile belongs to an instructor of this cohort, who cannot also be its trainee")


def _cannot_be_used() -> str:
    # The same words for another district's person, a staff member and an administrator: a sheet must not
    # tell staff who holds a number outside their districts.
    return _("this mobile number cannot be used here")


def _match_accounts(cohort: Cohort, results: list[RowResult], actor: User) -> None:
    """Match rows to existing accounts by mobile: a few queries per batch. Only accounts staff may enrol are
    named; a row whose account has another name, or is in another cohort of the course, must be confirmed."""
    by_mobile = defaultdict(list)
    for result in results:
        if is_mobile(result.mobile):
            by_mobile[result.mobile].append(result)
    for mobiles in _batches(sorted(by_mobile)):
        accounts = User.objects.filter(mobile__in=mobiles).annotate(
            holds_staff_role=Exists(DistrictStaff.objects.filter(user=OuterRef("pk"))),
            teaches=Exists(Teaching.objects.filter(cohort=cohort, instructor=OuterRef("pk"))),
            elsewhere_in_course=Exists(
                Enrolment.objects.filter(trainee=OuterRef("pk"), cohort__course_id=cohort.course_id).exclude(
                    cohort=cohort
                )
            ),
        )
        enrollable = set(
            User.objects.filter(enrollable_trainees_q(actor), mobile__in=mobiles).values_list("pk", flat=True)
        )
        enrolments = {
            e.trainee_id: e
            for e in Enrolment.objects.filter(cohort=cohort, trainee__mobile__in=mobiles).select_related(
                "team", "community"
            )
        }
        for account in accounts:
            for result in by_mobile[account.mobile]:
                if account.is_superuser or account.holds_staff_role or account.pk not in enrollable:
                    result.refuse(_cannot_be_used())
                    continue
                result.account = account
                if not account.is_active:
                    result.refuse(_("the account with this mobile is deactivated"))
                elif account.teaches:
                    result.refuse(
                        _("this mobile belongs to an instructor of this cohort, who cannot also be its trainee")
                    )
                if result.outcome == ERROR:
                    continue
                result.enrolment = enrolments.get(account.pk)
                result.outcome = ENROLLED if result.enrolment else EXISTING
                name = result.row.name.strip()
                if name and account.full_name != name:
                    warning = _(
                        "this mobile belongs to the account “%(account)s” (%(username)s), not “%(name)s”: "
                        "confirm it is the same person"
                    ) % {"account": account.full_name, "username": account.username, "name": name}
                    if settings.LMS_SHEET_REFUSE_OTHER_NAME:
                        result.refuse(warning)
                        continue
                    result.warnings.append(warning)
                if account.elsewhere_in_course and not result.enrolment:
                    result.warnings.append(
                        _("already enrolled in another cohort of this course: confirm it is the same person")
                    )


def _match_emails(results: list[RowResult], actor: User) -> None:
    """A new row whose e-mail belongs to an account staff may enrol, under another name, must be confirmed."""
    by_email = defaultdict(list)
    for result in results:
        if result.outcome == NEW and result.row.email:
            by_email[result.row.email.strip().lower()].append(result)
    for emails in _batches(sorted(by_email)):
        for account in User.objects.filter(enrollable_trainees_q(actor), email__in=emails).only(
            "full_name", "username", "email"
        ):
            for result in by_email.get(account.email.lower(), []):
                if account.full_name != result.row.name.strip():
                    result.warnings.append(
                        _(
                            "this e-mail belongs to the account “%(account)s” (%(username)s); a new account is "
                            "made for “%(name)s”: confirm"
                        )
                        % {"account": account.full_name, "username": account.username, "name": result.row.name}
                    )


def _check_changes(results: list[RowResult]) -> None:
    """A row for someone already in the cohort with another team or community is a move; a withdrawn one
    is enrolled again. Both are shown as a change to confirm."""
    for result in results:
        enrolment = result.enrolment
        if result.outcome != ENROLLED or enrolment is None:
            continue
        current_team = enrolment.team.name if enrolment.team else ""
        # An empty team cell keeps the team the trainee is in.
        team_name = (result.team.name if result.team else result.new_team) if result.row.team.strip() else current_team
        now = " · ".join(filter(None, [enrolment.community.name, current_team]))
        then = " · ".join(filter(None, [result.community.name if result.community else "", team_name]))
        if enrolment.status == EnrolmentStatus.WITHDRAWN:
            result.outcome = CHANGE
            result.warnings.append(_("withdrawn from this cohort: confirm to enrol again (%(to)s)") % {"to": then})
        elif team_name != current_team or (result.community and result.community.pk != enrolment.community_id):
            result.outcome = CHANGE
            result.warnings.append(_("now in %(now)s: confirm to move to %(then)s") % {"now": now, "then": then})


def _check_duplicates(results: list[RowResult]) -> None:
    rows_of = defaultdict(list)
    for result in results:
        if is_mobile(result.mobile):
            rows_of[result.mobile].append(result.row.number)
    for result in results:
        others = [n for n in rows_of.get(result.mobile, []) if n != result.row.number]
        if others:
            result.refuse(_("the same mobile appears again in row(s) %(rows)s") % {"rows": ", ".join(map(str, others))})


def _check_teams(cohort: Cohort, results: list[RowResult]) -> None:
    names = {r.row.team.strip() for r in results if r.row.team.strip()}
    if not names:
        return
    own = {team.name: team for team in Team.objects.filter(cohort=cohort, name__in=names)}
    elsewhere = set(
        Team.objects.filter(name__in=names - set(own)).exclude(cohort=cohort).values_list("name", flat=True)
    )
    for result in results:
        name = result.row.team.strip()
        if not name:
            continue
        if name in own:
            result.team = own[name]
        elif name in elsewhere:
            result.refuse(_("team “%(name)s” belongs to another cohort") % {"name": name})
        else:
            result.new_team = name


def enrol_sheet_preview(*, cohort: Cohort, rows: list[SheetRow], actor: User) -> SheetPreview:
    """What a commit of these rows would do, row by row; writes nothing."""
    if not actor.has_perm("courses.manage_cohort", cohort):
        raise NotFound(_("This page does not exist, or you do not have access to it."))
    communities, choosable = _community_index(cohort, actor)
    results = [RowResult(row=row, mobile=normalise_mobile(row.mobile)) for row in rows]
    for result in results:
        _check_row(result, communities, choosable)
    _check_duplicates(results)
    _match_accounts(cohort, results, actor)
    _match_emails(results, actor)
    _check_teams(cohort, results)
    _check_changes(results)
    return SheetPreview(cohort=cohort, rows=results)


def _new_usernames(count: int) -> list[str]:
    """`count` usernames that say nothing about the people (lms.services.people.new_username), distinct
    and free, checked in batches: a sheet of 2,000 rows asks a few queries, not one per row."""
    found: set[str] = set()
    while len(found) < count:
        batch = {random_username() for _ in range(count - len(found))}
        taken = set()
        for names in _batches(sorted(batch)):
            taken |= set(User.objects.filter(username__in=names).values_list("username", flat=True))
        found |= batch - taken
    return sorted(found)


@transaction.atomic
def enrol_sheet_commit(
    *, cohort: Cohort, rows: list[SheetRow], actor: User, confirmed: Collection[int] = ()
) -> SheetPreview:
    """Enrol every row of the sheet, creating accounts for new mobiles, or nothing at all when one row
    has an error or a row to confirm (`confirmed`: row numbers) is not confirmed. Rows of people already in
    the cohort with another team or community move them; withdrawn ones are enrolled again. New accounts
    get no usable password: staff give a temporary one from the person's page, or the person sets one
    through the e-mailed link."""
    cohort = Cohort.objects.select_for_update().select_related("district").get(pk=cohort.pk)
    preview = enrol_sheet_preview(cohort=cohort, rows=rows, actor=actor)
    if preview.errors:
        raise SheetHasErrors(preview)
    confirmed = set(confirmed)
    if unconfirmed := [r for r in preview.to_confirm if r.row.number not in confirmed]:
        raise SheetNeedsConfirmation(preview, unconfirmed)
    to_create = [r for r in preview.rows if r.outcome == NEW]
    usernames = _new_usernames(len(to_create))
    unusable = make_password(None)  # "!" + random: no password logs in
    new_users = []
    for result in to_create:
        result.account = User(
            username=usernames.pop(),
            full_name=result.row.name.strip(),
            mobile=result.mobile,
            email=result.row.email,
            community=result.community,
            password=unusable,
            must_change_password=True,
        )
        new_users.append(result.account)
    try:
        with transaction.atomic():
            User.objects.bulk_create(new_users, batch_size=BATCH)
    except IntegrityError:  # a mobile was taken between preview and commit
        raise Conflict(
            _("Another account took one of these mobile numbers meanwhile; preview the sheet again."),
            code="mobile_taken",
        ) from None
    teams = {}
    for result in preview.rows:
        if result.new_team and result.new_team not in teams:
            teams[result.new_team] = Team(cohort=cohort, name=result.new_team, community=result.community)
    Team.objects.bulk_create(teams.values())
    enrolments = [
        Enrolment(
            cohort=cohort,
            trainee=result.account,
            community=result.community,
            team=result.team or teams.get(result.new_team),
        )
        for result in preview.rows
        if result.outcome in (NEW, EXISTING)
    ]
    try:
        with transaction.atomic():
            Enrolment.objects.bulk_create(enrolments, batch_size=BATCH)
    except IntegrityError:
        raise Conflict(
            _("Someone enrolled one of these trainees meanwhile; preview the sheet again."), code="already_enrolled"
        ) from None
    cohort_changed(cohort.pk)  # bulk_create sends no save signal: the cached staff figures must hear of it
    # One row per enrolment (it names the trainee and whether the sheet made its account), not a second
    # row per new account: at 2,000 rows each audit row costs as much as the enrolment itself.
    new_ids = {user.pk for user in new_users}
    audit_record_many(
        actor=actor,
        verb="enrolment.created",
        targets=enrolments,
        data_of=lambda e: {"trainee": e.trainee_id, "source": "sheet", "new_account": e.trainee_id in new_ids},
    )
    _apply_changes(preview, teams, actor)
    audit_record(actor=actor, verb="cohort.sheet_enrolled", target=cohort, **preview.totals)
    from courses.services.attendance import tell

    tell("enrolled", enrolments=enrolments, cohort=cohort)
    return preview


def _apply_changes(preview: SheetPreview, teams: dict[str, Team], actor: User) -> None:
    """Move (or enrol again) the confirmed people already in the cohort: one service call each, so a move
    is kept, audited and told exactly as from its own page."""
    from courses.services import enrolment_create
    from courses.services.moves import enrolment_move

    for result in preview.rows:
        if result.outcome != CHANGE:
            continue
        team = result.team or teams.get(result.new_team) or (None if result.row.team.strip() else result.enrolment.team)
        if result.enrolment.status == EnrolmentStatus.WITHDRAWN:
            enrolment_create(
                cohort=preview.cohort, trainee=result.account, community=result.community, team=team, actor=actor
            )
        else:
            enrolment_move(
                enrolment=result.enrolment,
                team=team,
                community=result.community,
                reason=_("Changed by a sheet (row %(row)d)") % {"row": result.row.number},
                actor=actor,
            )
