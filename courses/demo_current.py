"""Demo data for daily work and scoping: a current Nanhai cohort whose run contains today (sessions this
week), and a second district, Shunde, with its own staff, instructor, cohort and trainees. Idempotent.

Runs after courses.demo.seed(); dates follow the day the demo is seeded. A current cohort is found by the days
it runs, never by `year`: a run that starts in November is still current in January.
"""

import datetime as dt
import functools

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from courses import services
from courses.demo import DEMO_PASSWORD, DEMO_YEAR, build_modules
from courses.models import Cohort, Course, Enrolment, LessonKind, Phase, Session, Teaching, Team
from lms.models import Community, District, DistrictStaff, Town, User

NANHAI_PLACES = {"大沥镇": ["盐步社区", "黄岐社区"]}
NANHAI_TRAINEES = [  # (team, community, trainees (username, name))
    ("盐步社区规划师小组", "盐步社区", [("yanbu01", "陈嘉怡"), ("yanbu02", "梁振华"), ("yanbu03", "黄美琪")]),
    ("黄岐社区规划师小组", "黄岐社区", [("huangqi01", "李子豪"), ("huangqi02", "吴晓彤"), ("huangqi03", "张伟明")]),
]
SHUNDE_PLACES = {"北滘镇": ["林头社区", "桃村社区"], "乐从镇": ["腾冲社区"]}
SHUNDE_STAFF = ("shunde.staff", "何敏仪", "13700000002")
SHUNDE_INSTRUCTOR = ("mentor.luo", "罗志远", "13900000004")
SHUNDE_TRAINEES = [
    ("林头社区规划师小组", "林头社区", [("lintou01", "林晓东"), ("lintou02", "欧阳婷")]),
    ("桃村社区规划师小组", "桃村社区", [("taocun01", "周嘉豪"), ("taocun02", "冼丽华")]),
]
# Sessions of the current cohort this week: (days from today, start, end); None = under way when seeded, so
# an instructor can open the check-in screen and a trainee check in right away; one tomorrow for the reminders.
THIS_WEEK = [
    (-2, dt.time(9, 0), dt.time(11, 30)),
    (0, None, None),
    (1, dt.time(9, 0), dt.time(11, 30)),
    (4, dt.time(14, 0), dt.time(17, 0)),
]
VENUE = ("南海区社区治理学院 多功能厅", "佛山市南海区桂城街道南海大道北")


@functools.cache
def _demo_password_hash() -> str:
    """One hash for every account made here: hashing costs ~0.4 s each, and these are demo accounts."""
    return make_password(DEMO_PASSWORD)


def _user(username: str, full_name: str, mobile: str, *, is_staff: bool = False) -> User:
    user, _created = User.objects.get_or_create(
        username=username,
        defaults={"full_name": full_name, "mobile": mobile, "is_staff": is_staff, "password": _demo_password_hash()},
    )
    return user


def _communities(district: District, places: dict) -> dict[str, Community]:
    found = {}
    for town_name, names in places.items():
        town, _ = Town.objects.get_or_create(district=district, name=town_name)
        for name in names:
            found[name], _ = Community.objects.get_or_create(town=town, name=name)
    return found


def current_cohort(district_code: str, *, today: dt.date | None = None) -> Cohort | None:
    """The district's demo cohort running today (not the historical one, which runs today under a 2022 clock)."""
    today = today or timezone.localdate()
    return (
        Cohort.objects.running_on(today)
        .filter(district__code=district_code, course__code="community-planner")
        .exclude(district__code="nh", year=DEMO_YEAR)
        .order_by("-starts_on")
        .first()
    )


def _cohort(course: Course, district: District, starts_on: dt.date, ends_on: dt.date) -> Cohort:
    """The district's current cohort, made with the first year label no other cohort of the course holds."""
    cohort = current_cohort(district.code, today=timezone.localdate())
    if cohort is None:
        taken = set(Cohort.objects.filter(course=course, district=district).values_list("year", flat=True))
        year = next(year for year in range(timezone.localdate().year, 9999) if year not in taken)
        cohort = Cohort.objects.create(
            course=course,
            district=district,
            year=year,
            name=f"{district.name}{year}年社区规划师培育班",
            starts_on=starts_on,
            ends_on=ends_on,
        )
    build_modules(cohort)
    return cohort


def _enrol(cohort, teams, communities, *, staff, mobile_prefix: str, done_lessons=()) -> int:
    count = 0
    for team_name, community_name, members in teams:
        community = communities[community_name]
        team, _ = Team.objects.get_or_create(cohort=cohort, name=team_name, defaults={"community": community})
        for username, name in members:
            count += 1
            trainee = _user(username, name, f"{mobile_prefix}{count:04d}")
            enrolment = Enrolment.objects.filter(cohort=cohort, trainee=trainee).first()
            if enrolment is None:
                enrolment = services.enrolment_create(
                    cohort=cohort, trainee=trainee, community=community, team=team, actor=staff
                )
            for lesson in done_lessons[: count % 4]:
                services.lesson_complete(enrolment=enrolment, lesson=lesson, actor=trainee)
    return count


def _now_session(now: dt.datetime) -> tuple[dt.time, dt.time]:
    """A session under way at seeding time, whatever the hour (check-in open at once): from the last quarter
    hour to two hours later, within the day."""
    start_minutes = (now.hour * 60 + now.minute) // 15 * 15
    end_minutes = min(start_minutes + 120, 23 * 60 + 59)
    return dt.time(start_minutes // 60, start_minutes % 60), dt.time(end_minutes // 60, end_minutes % 60)


def _sessions_this_week(cohort: Cohort, ordered_lessons, *, staff: User, instructors: list[User]) -> int:
    lessons = [
        lesson
        for lesson in ordered_lessons
        if lesson.module.phase == Phase.CENTRALIZED and lesson.kind in (LessonKind.LECTURE, LessonKind.WORKSHOP)
    ]
    now = timezone.localtime()
    for lesson, (days, start, end) in zip(lessons, THIS_WEEK, strict=False):
        if Session.objects.filter(cohort=cohort, lesson=lesson).exists():
            continue
        if start is None:
            start, end = _now_session(now)
        services.session_create(
            lesson=lesson,
            date=now.date() + dt.timedelta(days=days),
            start_time=start,
            end_time=end,
            place=VENUE[0],
            address=VENUE[1],
            instructors=instructors,
            actor=staff,
        )
    return Session.objects.filter(cohort=cohort).count()


def seed() -> str:
    today = timezone.localdate()
    course = Course.objects.get(code="community-planner")

    nanhai = District.objects.get(code="nh")
    nanhai_staff = User.objects.get(username="nanhai.staff")
    nanhai_places = _communities(nanhai, NANHAI_PLACES)
    current = _cohort(course, nanhai, today - dt.timedelta(days=45), today + dt.timedelta(days=200))
    mentors = list(User.objects.filter(username__in=["mentor.chen", "mentor.li"]).order_by("username"))
    for mentor in mentors:
        Teaching.objects.get_or_create(cohort=current, instructor=mentor)
    _modules, ordered = build_modules(current)
    trainees = _enrol(
        current, NANHAI_TRAINEES, nanhai_places, staff=nanhai_staff, mobile_prefix="1360000", done_lessons=ordered
    )
    sessions = _sessions_this_week(current, ordered, staff=nanhai_staff, instructors=mentors)

    shunde, _ = District.objects.get_or_create(code="sd", defaults={"name": "顺德区"})
    shunde_staff = _user(*SHUNDE_STAFF, is_staff=True)
    DistrictStaff.objects.get_or_create(district=shunde, user=shunde_staff)
    shunde_places = _communities(shunde, SHUNDE_PLACES)
    shunde_cohort = _cohort(course, shunde, today - dt.timedelta(days=30), today + dt.timedelta(days=210))
    Teaching.objects.get_or_create(cohort=shunde_cohort, instructor=_user(*SHUNDE_INSTRUCTOR))
    shunde_trainees = _enrol(shunde_cohort, SHUNDE_TRAINEES, shunde_places, staff=shunde_staff, mobile_prefix="1350000")
    return (
        f"{current.name}: {trainees} trainees, {sessions} sessions this week; "
        f"{shunde_cohort.name}: {shunde_trainees} trainees, staff {SHUNDE_STAFF[0]}"
    )
