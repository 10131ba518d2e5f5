"""Demo field assignments for the Nanhai 2022 cohort, with graded work and photos. Idempotent.

Photos and reports are drawn with Pillow at seed time (nothing is downloaded). State changes go
through the services, so the demo carries the same versions, grade history and audit rows as real use.
"""

import io
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from courses.models import Cohort, Enrolment, Module
from fieldwork import services
from fieldwork.models import Assignment, RubricCriterion, RubricLevel, Submission, WorkMode
from lms.models import User

MB = 1024 * 1024

# (module title, assignment title, mode, instructions, due in days, rubric: (criterion, levels: (title, min, max)))
ASSIGNMENTS = [
    (
        "社区规划基础",
        "社区资产地图",
        WorkMode.INDIVIDUAL,
        "走访本社区，拍摄至少3处空间资产（祠堂、广场、闲置用地等）的照片，"
        "并提交一份资产地图（PDF），标出空间资产、人力资产与组织资产。",
        30,
        [
            ("资产识别的全面性", [("待改进", 0, 5), ("良好", 6, 8), ("优秀", 9, 10)]),
            ("地图表达的清晰度", [("待改进", 0, 5), ("良好", 6, 8), ("优秀", 9, 10)]),
            ("居民参与程度", [("待改进", 0, 5), ("良好", 6, 8), ("优秀", 9, 10)]),
        ],
    ),
    (
        "专业技能授课",
        "居民访谈报告",
        WorkMode.INDIVIDUAL,
        "访谈两位社区长者，记录他们记忆中的社区变迁，提交访谈报告（PDF或Word）和访谈现场照片。",
        45,
        [
            ("访谈设计", [("待改进", 0, 11), ("良好", 12, 16), ("优秀", 17, 20)]),
            ("记录的完整与真实", [("待改进", 0, 11), ("良好", 12, 16), ("优秀", 17, 20)]),
        ],
    ),
    (
        "实地指导社区改造",
        "参与式设计方案",
        WorkMode.TEAM,
        "以团队为单位，提交与居民共同完成的空间改造设计方案：议事会记录、方案图纸、改造前照片与分工预算。",
        90,
        [
            ("居民参与过程", [("待改进", 0, 17), ("良好", 18, 24), ("优秀", 25, 30)]),
            ("方案可行性", [("待改进", 0, 17), ("良好", 18, 24), ("优秀", 25, 30)]),
        ],
    ),
]

# (assignment, trainee, points per criterion or None to leave waiting, feedback, release?)
GRADED_WORK = [
    (
        "社区资产地图",
        "hegang01",
        (9, 8, 9),
        "资产地图非常完整：农耕用具、旧祠堂和村口大榕树都被标了出来，还访谈了西坊党支部书记。"
        "建议下一步把长者的口述故事也标注到地图上。",
        True,
    ),
    (
        "社区资产地图",
        "hegang02",
        (7, 6, 8),
        "照片清晰，居民参与度高。地图图例可以再简化，方便居民看懂。",
        True,
    ),
    ("社区资产地图", "hegang03", (6, 7, 6), "闲置用地的现状描述很到位，但组织资产部分还需补充。", False),
    ("社区资产地图", "hegang04", None, "", False),
    ("社区资产地图", "jiancun01", None, "", False),
    ("居民访谈报告", "hegang01", None, "", False),
]

COLOURS = [(47, 125, 79), (192, 98, 45), (95, 107, 100), (160, 140, 90), (70, 110, 160)]


def _photo(name: str, seed: int) -> SimpleUploadedFile:
    """A small JPEG 'photo': sky, ground and a building block, varied by seed."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 480), (200, 222, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 300, 640, 480], fill=COLOURS[seed % len(COLOURS)])
    left = 120 + 40 * (seed % 5)
    draw.rectangle([left, 160, left + 260, 320], fill=(230, 220, 200), outline=(90, 70, 50), width=4)
    draw.polygon([(left - 20, 160), (left + 130, 80), (left + 280, 160)], fill=(150, 60, 40))
    draw.ellipse([520, 40, 590, 110], fill=(250, 220, 120))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def _report(name: str) -> SimpleUploadedFile:
    """A one-page PDF report, drawn by Pillow."""
    from PIL import Image, ImageDraw

    page = Image.new("RGB", (595, 842), "white")
    draw = ImageDraw.Draw(page)
    for row in range(12):
        draw.rectangle([60, 80 + row * 55, 535, 100 + row * 55], fill=(225, 230, 226))
    draw.rectangle([60, 30, 400, 60], fill=(47, 125, 79))
    buffer = io.BytesIO()
    page.save(buffer, "PDF")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def _due(days: int):
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(23, 59)))


def _assignments(cohort: Cohort, specs=ASSIGNMENTS) -> dict[str, Assignment]:
    made = {}
    for module_title, title, mode, instructions, due_days, rubric in specs:
        module = Module.objects.get(cohort=cohort, title=module_title)
        assignment, _created = Assignment.objects.get_or_create(
            module=module,
            title=title,
            defaults={
                "mode": mode,
                "instructions": instructions,
                "opens_at": timezone.make_aware(datetime.combine(cohort.starts_on, time(9, 0))),
                "due_at": _due(due_days),
                "max_file_size": 20 * MB,
                "max_total_size": 100 * MB,
                "max_files": 10,
                "pass_mark": Decimal(sum(levels[-1][2] for _c, levels in rubric)) * Decimal("0.6"),
            },
        )
        for position, (criterion_title, levels) in enumerate(rubric, start=1):
            criterion, _ = RubricCriterion.objects.get_or_create(
                assignment=assignment, position=position, defaults={"title": criterion_title}
            )
            for level_position, (level_title, low, high) in enumerate(levels, start=1):
                RubricLevel.objects.get_or_create(
                    criterion=criterion,
                    position=level_position,
                    defaults={"title": level_title, "min_points": low, "max_points": high},
                )
        made[title] = assignment
    return made


def _scores(assignment: Assignment, points) -> list[services.ScoreInput]:
    scores = []
    for criterion, value in zip(assignment.criteria.order_by("position"), points, strict=True):
        level = next(lv for lv in criterion.levels.order_by("position") if lv.min_points <= value <= lv.max_points)
        scores.append(services.ScoreInput(criterion.pk, level.pk, Decimal(value)))
    return scores


def seed() -> str:
    cohort = Cohort.objects.get(course__code="community-planner", district__code="nh", year=2022)
    assignments = _assignments(cohort)
    mentor = User.objects.get(username="mentor.chen")
    handed_in = graded = released = 0
    for number, (title, username, points, feedback, release) in enumerate(GRADED_WORK):
        assignment = assignments[title]
        enrolment = Enrolment.objects.select_related("trainee").get(cohort=cohort, trainee__username=username)
        if Submission.objects.filter(assignment=assignment, enrolment=enrolment).exists():
            continue  # already seeded: running twice changes nothing
        trainee = enrolment.trainee
        submission = services.submission_start(assignment=assignment, enrolment=enrolment, actor=trainee)
        files = [_photo(f"{title}-现场照片{i}.jpg", number * 3 + i) for i in (1, 2)]
        files.append(_report(f"{title}-{trainee.full_name}.pdf"))
        services.submission_file_add(submission=submission, uploads_=files, actor=trainee)
        services.submission_save_draft(submission=submission, note="请导师查阅，谢谢！", actor=trainee)
        services.submission_submit(submission=submission, actor=trainee)
        handed_in += 1
        if points:
            services.submission_grade(
                submission=submission, scores=_scores(assignment, points), feedback=feedback, actor=mentor
            )
            graded += 1
            if release:
                services.grade_release(submission=submission, actor=mentor)
                released += 1
    return (
        f"{len(assignments)} field assignments; this run handed in {handed_in} submissions, "
        f"graded {graded}, released {released}"
    )
