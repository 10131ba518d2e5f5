"""Demo data for course delivery: dated sessions of the Nanhai 2022 cohort's in-person lessons, with attendance.

Idempotent: sessions are found by lesson and start, attendance is recorded through the services (recording the
same status again changes nothing), and the one correction is made only while the record still says "absent".
Runs after courses.demo.seed().
"""

import datetime as dt
import zlib

from django.utils import timezone

from courses import services
from courses.models import Attendance, AttendanceStatus, Cohort, Enrolment, Lesson, LessonKind, Phase, Session
from lms.models import User

VENUE = ("南海区社区治理学院 多功能厅", "佛山市南海区桂城街道南海大道北")
WORKSHOP_ROOM = ("西樵镇社区综合服务中心 活动室", "佛山市南海区西樵镇西樵大道")
PLACES = {
    "参访顺德区青田村": ("顺德区杏坛镇青田村", "佛山市顺德区杏坛镇青田村"),
    "参访广州市恩宁路永庆坊": ("广州市荔湾区永庆坊", "广州市荔湾区恩宁路永庆坊"),
}
IN_PERSON = (LessonKind.LECTURE, LessonKind.SITE_VISIT, LessonKind.WORKSHOP)
FIRST_DAY = dt.date(2022, 3, 12)  # a Saturday; one session a week


def _status_for(username: str, lesson: Lesson) -> str:
    """Most trainees attend; a steady few are late, excused or absent.

    Keyed by the lesson's place in the course, never its database id, so every database gets the same story.
    """
    roll = zlib.crc32(f"{username}:{lesson.module.phase}:{lesson.module.position}:{lesson.position}".encode()) % 100
    if roll < 80:
        return AttendanceStatus.PRESENT
    if roll < 89:
        return AttendanceStatus.LATE
    if roll < 95:
        return AttendanceStatus.EXCUSED
    return AttendanceStatus.ABSENT


def seed() -> str:
    cohort = Cohort.objects.filter(district__code="nh", year=2022).first()
    if cohort is None:
        return "no 2022 cohort: run courses.demo first"
    staff = User.objects.get(username="nanhai.staff")
    mentors = {u.username: u for u in User.objects.filter(username__in=["mentor.chen", "mentor.li", "mentor.huang"])}
    lessons = [
        lesson
        for lesson in Lesson.objects.filter(module__cohort=cohort, module__phase=Phase.CENTRALIZED, kind__in=IN_PERSON)
        .select_related("module")
        .order_by("module__position", "position")
    ]
    enrolments = list(Enrolment.objects.active().filter(cohort=cohort).select_related("trainee"))
    sessions = []
    for week, lesson in enumerate(lessons):
        day = FIRST_DAY + dt.timedelta(weeks=week)
        place, address = PLACES.get(lesson.title, WORKSHOP_ROOM if lesson.kind == LessonKind.WORKSHOP else VENUE)
        if lesson.kind == LessonKind.SITE_VISIT:
            start, end = dt.time(8, 30), dt.time(16, 30)
        else:
            start, end = dt.time(9, 0), dt.time(11, 30)
        starts_at = dt.datetime.combine(day, start, tzinfo=timezone.get_current_timezone())
        session = Session.objects.filter(lesson=lesson, starts_at=starts_at).first()
        if session is None:
            leaders = [mentors["mentor.chen"]] if week % 2 == 0 else [mentors["mentor.li"], mentors["mentor.huang"]]
            session = services.session_create(
                lesson=lesson,
                date=day,
                start_time=start,
                end_time=end,
                place=place,
                address=address,
                instructors=leaders,
                actor=staff,
            )
        sessions.append(session)
        recorded = set(Attendance.objects.filter(session=session).values_list("enrolment_id", flat=True))
        for enrolment in enrolments:
            if enrolment.pk in recorded:
                continue
            username = enrolment.trainee.username
            status = _status_for(username, lesson)
            if week == 0 and username == "hegang02":
                status = AttendanceStatus.ABSENT  # corrected below
            services.attendance_record(
                session=session, enrolment=enrolment, status=status, actor=mentors["mentor.chen"]
            )

    # One correction, kept with who, when and why: 何秀英 told the office beforehand.
    first = sessions[0] if sessions else None
    hegang02 = next((e for e in enrolments if e.trainee.username == "hegang02"), None)
    if first and hegang02:
        record = Attendance.objects.get(session=first, enrolment=hegang02)
        if record.status == AttendanceStatus.ABSENT and not record.corrections.exists():
            services.attendance_correct(
                attendance=record,
                status=AttendanceStatus.EXCUSED,
                reason="提前向区级工作人员请假（社区议事会当天召开）",
                actor=staff,
            )
    _live_session(cohort=cohort, lesson=lessons[-1] if lessons else None, staff=staff, mentor=mentors["mentor.chen"])
    rows = Attendance.objects.filter(session__cohort=cohort).count()
    return f"{cohort.name}: {len(sessions)} sessions, {rows} attendance records"


def _live_session(*, cohort, lesson, staff, mentor) -> None:
    """A make-up session today, starting within the next quarter hour, so check-in can be tried at once."""
    now = timezone.localtime()
    if lesson is None or Session.objects.filter(cohort=cohort, starts_at__date=now.date()).exists():
        return
    if not (cohort.starts_on <= now.date() <= cohort.ends_on):
        return  # sessions fall within their cohort's run: a cohort running today is where check-in is tried
    start = (now + dt.timedelta(minutes=15 - now.minute % 15)).replace(second=0, microsecond=0)
    if start.date() != now.date():
        return
    end = min(start + dt.timedelta(hours=2), start.replace(hour=23, minute=59))
    services.session_create(
        lesson=lesson,
        date=start.date(),
        start_time=start.time(),
        end_time=end.time(),
        place=VENUE[0],
        address=VENUE[1],
        instructors=[mentor],
        actor=staff,
    )
