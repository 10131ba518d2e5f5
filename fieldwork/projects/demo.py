"""Demo data: the Hegang farming-culture hall (特色农耕馆) and other teams' projects. Idempotent.

Runs after courses.demo.seed(); state changes go through the services. Photos are drawn with
Pillow at seed time (nothing is downloaded).
"""

import io
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from courses.models import Cohort, Team
from fieldwork.projects import services
from fieldwork.projects.models import (
    ActivityKind,
    BeforeAfterPair,
    CaseStatus,
    EngagementActivity,
    FieldProject,
    ModelCase,
    PartnerKind,
    SupportVisit,
)
from lms.models import User

HEGANG_TEAM = "河岗社区规划师团队"

HEGANG_PARTNERS = [
    (PartnerKind.PARTY_BRANCH, "西坊党支部"),
    (PartnerKind.PARTY_BRANCH, "竹塘党支部"),
    (PartnerKind.PARTY_BRANCH, "竹园党支部"),
    (PartnerKind.SOCIAL_WORKER, "河岗社区居民社工"),
    (PartnerKind.VOLUNTEER_GROUP, "高校大学生志愿服务队"),
    (PartnerKind.OTHER, "河岗社区居委会"),
]

# (kind, title, date, place, account, counts). Residents add up to 87, parent–child pairs to 5,
# Party branches to 3: the figures of the course's own record.
HEGANG_ACTIVITIES = [
    (
        ActivityKind.DELIBERATION,
        "第一次居民议事会：闲置旧仓库做什么？",
        date(2022, 5, 14),
        "河岗社区党群服务中心",
        "社区党委召集党员、居民社工和居民骨干，与居民讨论闲置旧仓库的用途。居民提出建设“特色农耕馆”，"
        "展示河岗的农耕记忆。西坊、竹塘、竹园三个党支部表示全力支持。",
        {"residents": 32, "party_members": 9, "party_branches": 3, "elders": 6},
    ),
    (
        ActivityKind.DELIBERATION,
        "第二次居民议事会：农耕馆布展与分工",
        date(2022, 6, 18),
        "河岗社区党群服务中心",
        "确定农耕馆的布展内容：老农具、农事节气、河岗口述史墙绘；明确居民捐赠老物件、长者讲解、"
        "大学生志愿者绘制墙绘、社区两委负责地面铺装与加装风扇灯具的分工。",
        {"residents": 25, "party_members": 7, "elders": 5, "social_organisations": 1},
    ),
    (
        ActivityKind.VOLUNTEER,
        "口述史墙绘：大学生志愿者与居民共绘",
        date(2022, 7, 23),
        "特色农耕馆",
        "大学生志愿者根据居民讲述的农耕往事（插秧、打谷、挑塘泥）绘制墙绘，长者在现场讲述、指点细节。",
        {"residents": 10, "elders": 8, "students": 14, "volunteers": 14},
    ),
    (
        ActivityKind.EXHIBITION,
        "特色农耕馆开馆：长者讲解与亲子体验",
        date(2022, 9, 24),
        "特色农耕馆",
        "农耕馆开馆。社区长者担任讲解员，为来访者讲述老农具的用法；亲子家庭体验磨米、编织。"
        "此后居民自发组织周末开放与讲解。",
        {"residents": 20, "parent_child_pairs": 5, "elders": 9, "volunteers": 6, "party_members": 4},
    ),
]

# (instructor, date, who came, discussion, next steps (description, owner, due, done))
HEGANG_VISITS = [
    (
        "mentor.chen",
        date(2022, 5, 7),
        "何家明（党员）、何秀英（居民社工）、陈伟强（居民骨干）",
        "走访闲置旧仓库，梳理社区资源与居民诉求；建议先开议事会，让居民自己决定空间用途。",
        [
            ("召开第一次居民议事会", "何家明", date(2022, 5, 14), True),
            ("征集居民家中的老农具", "何秀英", date(2022, 5, 31), True),
        ],
    ),
    (
        "mentor.li",
        date(2022, 7, 2),
        "河岗社区规划师团队全体成员、西坊党支部书记",
        "讨论墙绘内容如何来自居民：先做口述史访谈，再由大学生志愿者据此创作。",
        [
            ("联系高校志愿服务队", "陈伟强", date(2022, 7, 10), True),
            ("整理五位长者的口述史", "梁淑仪", date(2022, 7, 20), True),
        ],
    ),
    (
        "mentor.chen",
        date(2022, 9, 10),
        "何家明、何志坚、冯丽娟、社区居委会主任",
        "检查地面铺装和风扇灯具的安装；讨论开馆后的长效运营。",
        [
            ("培训长者讲解员", "何志坚", date(2022, 9, 20), False),
            ("着手撰写治理模式案例", "冯丽娟", date(2022, 10, 31), False),
        ],
    ),
]

HEGANG_CASE = {
    "title": "从闲置仓库到特色农耕馆：河岗社区党建引领的居民共建模式",
    "theme": "culture",
    "background": "河岗社区位于南海区西樵镇，保留着浓厚的农耕传统。社区内一座旧仓库长期闲置，居民希望它能被用起来。",
    "problem": "闲置空间无人管理；年轻一代对农耕历史了解越来越少；居民参与社区事务的渠道不多。",
    "participants": "社区党委牵头，党员、居民社工和居民骨干组成社区规划师团队；西坊、竹塘、竹园三个党支部，"
    "居民与亲子家庭，社区长者，高校大学生志愿者，社区居委会。",
    "process": "召开两次居民议事会，由居民决定建设特色农耕馆并分工；居民捐赠老农具，长者讲述口述史，"
    "大学生志愿者据此绘制墙绘；社区两委完成地面铺装并加装风扇和灯具；开馆后长者担任讲解员。",
    "lessons": "党建引领把党支部、社工和居民骨干拧成一股绳；议事会让居民成为决策者；"
    "以居民口述史为内容，使空间承载共同记忆；开馆后居民自发组织活动，项目得以持续。",
}

# Other teams, at earlier stages: (team, title, goals, status, activity or None)
OTHER_PROJECTS = [
    ("简村社区规划师团队", "简村祠堂前广场微改造", "与居民共同设计祠堂前广场的休憩空间。", "planning", None),
    (
        "太平社区规划师团队",
        "太平社区儿童友好步道",
        "沿河步道的儿童友好改造。",
        "under_way",
        (
            ActivityKind.CO_DESIGN,
            "儿童友好步道共建工作坊",
            date(2022, 8, 6),
            "太平小学",
            {"residents": 18, "parent_child_pairs": 9, "students": 22},
        ),
    ),
    ("叠滘社区规划师团队", "叠滘龙船文化展示角", "整理龙船文化老物件，布置展示角。", "planning", None),
    (
        "夏西社区规划师团队",
        "夏西楼道微更新",
        "老旧楼道的照明与绿化。",
        "under_way",
        (
            ActivityKind.DELIBERATION,
            "楼道微更新议事会",
            date(2022, 7, 16),
            "夏西社区居委会",
            {"residents": 26, "party_members": 5},
        ),
    ),
]


def _drawn_photo(name: str, scene: str) -> SimpleUploadedFile:
    """A simple drawn picture of a scene (no downloads, no text)."""
    image = Image.new("RGB", (800, 600), "#d9d2c3")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 420, 800, 600], fill="#8b6b4a" if scene.startswith("before") else "#a7a9ac")
    if scene == "before-floor":
        for x in range(40, 800, 110):
            draw.line([x, 430, x + 60, 590], fill="#5e4630", width=4)
    elif scene == "after-floor":
        for x in range(0, 800, 80):
            draw.line([x, 420, x, 600], fill="#7d7f82", width=3)
        for y in range(420, 600, 60):
            draw.line([0, y, 800, y], fill="#7d7f82", width=3)
    elif scene == "before-room":
        draw.rectangle([0, 0, 800, 420], fill="#6d675d")
    elif scene == "after-room":
        for x in (200, 600):
            draw.ellipse([x - 60, 40, x + 60, 100], outline="#333333", width=6)  # fans
            draw.line([x, 0, x, 40], fill="#333333", width=4)
            draw.ellipse([x - 18, 140, x + 18, 176], fill="#fff3a0")  # lights
    elif scene == "before-wall":
        draw.rectangle([60, 60, 740, 400], fill="#efe9dc", outline="#b8ae9c", width=4)
    elif scene == "after-wall":
        draw.rectangle([60, 60, 740, 400], fill="#cfe6c3", outline="#b8ae9c", width=4)
        draw.ellipse([560, 90, 660, 190], fill="#f2b134")  # sun
        for x in range(120, 520, 60):
            draw.line([x, 380, x, 300], fill="#2f7d4f", width=6)  # rice shoots
            draw.line([x, 320, x - 20, 300], fill="#2f7d4f", width=4)
        draw.rectangle([420, 260, 470, 380], fill="#8b5a2b")  # a farmer's figure
        draw.ellipse([425, 220, 465, 260], fill="#e0b48a")
    elif scene == "visit":
        draw.rectangle([100, 200, 700, 420], fill="#b9a98a")
        for x in range(160, 680, 90):
            draw.ellipse([x, 300, x + 40, 340], fill="#3b4a5a")
            draw.rectangle([x + 5, 340, x + 35, 420], fill="#3b4a5a")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def _hegang(cohort: Cohort) -> str:
    team = Team.objects.get(cohort=cohort, name=HEGANG_TEAM)
    leader = User.objects.get(username="hegang01")
    project = FieldProject.objects.filter(team=team).first()
    if project is None:
        project = services.project_update(
            team=team,
            actor=leader,
            title="河岗社区特色农耕馆",
            goals="把闲置旧仓库改造成展示河岗农耕记忆的特色农耕馆，由居民共同决定、共同建设、共同运营。"
            "团队由社区党委组织，成员包括党员、居民社工和居民骨干。",
            status="under_way",
            partners=HEGANG_PARTNERS,
        )
    for kind, title, held_on, place, account, counts in HEGANG_ACTIVITIES:
        if not EngagementActivity.objects.filter(project=project, title=title).exists():
            photos = [_drawn_photo("墙绘.jpg", "after-wall")] if kind == ActivityKind.VOLUNTEER else None
            services.activity_record(
                project=project,
                actor=leader,
                kind=kind,
                title=title,
                held_on=held_on,
                place=place,
                account=account,
                counts=counts,
                photo_files=photos,
            )
    for username, visited_on, attendees, discussion, steps in HEGANG_VISITS:
        instructor = User.objects.get(username=username)
        if SupportVisit.objects.filter(project=project, visited_on=visited_on, instructor=instructor).exists():
            continue
        visit = services.visit_log(
            project=project,
            actor=instructor,
            visited_on=visited_on,
            attendees=attendees,
            discussion=discussion,
            next_steps=[{"description": d, "owner": o, "due_on": due} for d, o, due, _done in steps],
            photo_files=[_drawn_photo("现场指导.jpg", "visit")],
        )
        for step in visit.next_steps.all():
            if any(d == step.description and done for d, _o, _due, done in steps):
                services.next_step_close(step=step, actor=leader)
    for place, caption, changed_on, before, after in [
        ("农耕馆地面", "社区两委完成了地面铺装。", date(2022, 8, 20), "before-floor", "after-floor"),
        ("农耕馆展厅", "加装了风扇和灯具，夏天也能开放。", date(2022, 8, 27), "before-room", "after-room"),
        ("农耕馆东墙", "大学生志愿者根据居民口述史绘制的墙绘。", date(2022, 7, 23), "before-wall", "after-wall"),
    ]:
        if not BeforeAfterPair.objects.filter(project=project, place=place).exists():
            services.before_after_add(
                project=project,
                actor=leader,
                place=place,
                caption=caption,
                changed_on=changed_on,
                before_file=_drawn_photo("改造前.jpg", before),
                after_file=_drawn_photo("改造后.jpg", after),
            )
    if project.status != "completed":
        services.project_update(
            team=team, actor=leader, title=project.title, goals=project.goals, status="completed", partners=None
        )
    case = ModelCase.objects.filter(project=project).first()
    if case is None:
        case = services.case_save(project=project, actor=leader, **HEGANG_CASE)
    if case.is_editable:
        case = services.case_submit(case=case, actor=leader)
    if case.status == CaseStatus.SUBMITTED:
        services.case_approve(
            case=case, actor=User.objects.get(username="mentor.chen"), comments="数据翔实，过程清楚，可供后续学员学习。"
        )
    return project.title


def _others(cohort: Cohort) -> int:
    made = 0
    for team_name, title, goals, status, activity in OTHER_PROJECTS:
        team = Team.objects.filter(cohort=cohort, name=team_name).first()
        member = team and team.members.select_related("trainee").order_by("trainee__username").first()
        if member is None:
            continue
        project = FieldProject.objects.filter(team=team).first() or services.project_update(
            team=team, actor=member.trainee, title=title, goals=goals, status=status
        )
        made += 1
        if activity and not EngagementActivity.objects.filter(project=project, title=activity[1]).exists():
            kind, activity_title, held_on, place, counts = activity
            services.activity_record(
                project=project,
                actor=member.trainee,
                kind=kind,
                title=activity_title,
                held_on=held_on,
                place=place,
                counts=counts,
            )
    xiaxi = FieldProject.objects.filter(team__cohort=cohort, team__name="夏西社区规划师团队").first()
    if xiaxi and not ModelCase.objects.filter(project=xiaxi).exists():
        member = xiaxi.team.members.select_related("trainee").order_by("trainee__username").first()
        services.case_save(
            project=xiaxi,
            actor=member.trainee,
            title="夏西楼道微更新（草稿）",
            theme="space",
            background="老旧小区楼道昏暗。",
        )
    return made


def seed() -> str:
    cohort = Cohort.objects.filter(district__code="nh", year=2022).first()
    if cohort is None:
        return "no Nanhai 2022 cohort; run the courses demo first"
    title = _hegang(cohort)
    others = _others(cohort)
    return f"{title} (approved model case) and {others} other projects at earlier stages"
