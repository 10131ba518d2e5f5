"""Demo data: the Nanhai 2022 cohort of the community-planner course. Idempotent."""

from datetime import date

from courses import services
from courses.models import Cohort, Course, Enrolment, Lesson, LessonKind, Module, Phase, Teaching, Team
from lms.models import Community, District, DistrictStaff, Town, User

DEMO_PASSWORD = "demo-pass-2022"  # printed by bin/run; demo data only
DEMO_YEAR = 2022  # the historical cohort that tells Hegang's story

PLACES = {
    "西樵镇": ["河岗社区", "简村社区", "太平社区"],
    "桂城街道": ["叠滘社区", "夏西社区"],
    "九江镇": ["沙口社区"],
}

# (phase, title, summary, requires (titles), lessons: (kind, title, body))
MODULES = [
    (
        Phase.CENTRALIZED,
        "社区规划基础",
        "认识社区规划师的角色，掌握参与式规划的基本方法。",
        [],
        [
            (
                LessonKind.LECTURE,
                "社区规划师的角色与使命",
                "## 学习目标\n\n- 了解社区规划师在基层治理中的位置\n- 理解“做中学、学中练、练中成”的培育思路\n\n"
                "社区规划师是连接居民、社区“两委”、社会组织与专业力量的**桥梁**。本课结合南海区近年的实践，"
                "讲解社区规划师如何发现议题、组织居民、链接资源。",
            ),
            (
                LessonKind.LECTURE,
                "参与式规划方法概论",
                "参与式规划强调“居民是社区的主人”。本课介绍议事会、共建工作坊、社区走读等常用方法，"
                "以及每种方法适用的阶段。\n\n> 好的规划不是画出来的，而是谈出来、做出来的。",
            ),
            (
                LessonKind.WORKSHOP,
                "社区资产地图绘制",
                "分组绘制本社区的**资产地图**：空间资产（祠堂、广场、闲置用地）、人力资产（能人、志愿者）、"
                "组织资产（党支部、社会组织、学校）。\n\n请带上社区平面图和彩色笔。",
            ),
            (
                LessonKind.READING,
                "阅读：社区营造的理念与实践",
                "阅读材料节选了国内外社区营造的经典案例。阅读时请思考：\n\n1. 案例中的居民是如何被动员起来的？\n"
                "2. 哪些做法可以在你的社区借鉴？",
            ),
        ],
    ),
    (
        Phase.CENTRALIZED,
        "专业技能授课",
        "议事协商、访谈记录、空间微改造与项目策划的专业技能。",
        ["社区规划基础"],
        [
            (
                LessonKind.LECTURE,
                "居民议事会的组织与主持",
                "议事会是居民参与的核心平台。本课讲解议题征集、会前沟通、会议主持、形成决议与公示的完整流程，"
                "并演练如何让不常发言的居民开口。",
            ),
            (
                LessonKind.WORKSHOP,
                "社区访谈与口述史记录",
                "学习半结构式访谈与口述史记录方法。课后请访谈两位社区长者，记录他们记忆中的社区变迁。",
            ),
            (
                LessonKind.LECTURE,
                "空间微改造设计入门",
                "从一面墙、一块地、一间闲置房开始：微改造的选点、低成本材料与居民共建方式。",
            ),
            (
                LessonKind.LECTURE,
                "项目策划与资源链接",
                "如何把居民的想法变成可执行的项目：目标、分工、预算，以及如何链接党支部、企业与高校志愿者等资源。",
            ),
        ],
    ),
    (
        Phase.CENTRALIZED,
        "先进地区参访学习",
        "走进先进社区，看别人怎么做。",
        ["社区规划基础"],
        [
            (
                LessonKind.SITE_VISIT,
                "参访顺德区青田村",
                "参访青田村的乡村复兴实践，重点观察村民议事与传统空间活化。集合时间与地点见课程通知。",
            ),
            (LessonKind.SITE_VISIT, "参访广州市恩宁路永庆坊", "了解老城区微改造中居民、政府与企业的协作方式。"),
            (LessonKind.WORKSHOP, "参访心得分享会", "分组分享参访收获，讨论哪些做法可以带回自己的社区。"),
        ],
    ),
    (
        Phase.FIELD,
        "社区调研与议题形成",
        "回到自己的社区，找到居民最关心的问题。",
        ["专业技能授课"],
        [
            (
                LessonKind.FIELD_GUIDANCE,
                "社区走访与问题清单",
                "以小组为单位走访社区，形成问题与资源清单。导师将到各社区现场指导。",
            ),
            (
                LessonKind.WORKSHOP,
                "召开第一次居民议事会",
                "以河岗社区为例：社区党委组织党员、居民社工和居民骨干组成社区规划师团队，"
                "召开议事会讨论闲置空间的用途，居民提出建设“特色农耕馆”。",
            ),
            (LessonKind.WORKSHOP, "确定行动议题", "根据议事会结果确定行动议题，明确目标、分工与时间表。"),
        ],
    ),
    (
        Phase.FIELD,
        "实地指导社区改造",
        "导师驻点，陪伴各社区完成一个参与式改造项目。",
        ["社区调研与议题形成"],
        [
            (LessonKind.FIELD_GUIDANCE, "导师驻点指导", "导师到社区现场，与团队一起梳理进展、解决困难。"),
            (
                LessonKind.WORKSHOP,
                "共建方案设计工作坊",
                "与居民一起设计改造方案。河岗社区在第二次议事会上确定了农耕馆的布展内容与分工。",
            ),
            (
                LessonKind.FIELD_GUIDANCE,
                "动员居民与志愿者",
                "动员居民、亲子家庭、党支部与高校志愿者共同参与。河岗社区的长者担任讲解员，"
                "大学生志愿者根据居民口述史绘制墙绘。",
            ),
            (
                LessonKind.FIELD_GUIDANCE,
                "改造实施与过程记录",
                "记录改造过程：前后对比照片、参与人数、居民反馈。社区“两委”完成了地面铺装并加装了风扇和灯具。",
            ),
        ],
    ),
    (
        Phase.MODEL,
        "治理模式提炼",
        "把做过的事写成别人可以学习的治理模式案例。",
        ["实地指导社区改造"],
        [
            (LessonKind.LECTURE, "案例写作方法", "案例的结构：背景、问题、参与主体、过程、成效数据、经验启示。"),
            (LessonKind.WORKSHOP, "从项目到模式：经验提炼工作坊", "小组互评案例初稿，提炼可复制的做法。"),
            (LessonKind.READING, "阅读：优秀社区治理案例选编", "阅读往届学员的优秀案例，注意成效数据的呈现方式。"),
        ],
    ),
    (
        Phase.MODEL,
        "成果展示与结业",
        "展示各社区成果，完成结业。",
        ["治理模式提炼"],
        [
            (LessonKind.WORKSHOP, "成果汇报会", "各团队汇报项目成果与治理模式，导师与区级工作人员点评。"),
            (LessonKind.LECTURE, "结业分享", "回顾一年的学习与实践，分享成长与下一步计划。"),
        ],
    ),
]

INSTRUCTORS = [
    ("mentor.chen", "陈思远", "13900000001"),
    ("mentor.li", "李婉清", "13900000002"),
    ("mentor.huang", "黄志强", "13900000003"),
]
STAFF = ("nanhai.staff", "梁慧敏", "13700000001")

# (team, community, trainees (username, name))
TEAMS = [
    (
        "河岗社区规划师团队",
        "河岗社区",
        [
            ("hegang01", "何家明"),
            ("hegang02", "何秀英"),
            ("hegang03", "陈伟强"),
            ("hegang04", "梁淑仪"),
            ("hegang05", "何志坚"),
            ("hegang06", "冯丽娟"),
        ],
    ),
    (
        "简村社区规划师团队",
        "简村社区",
        [
            ("jiancun01", "简国华"),
            ("jiancun02", "黎美玲"),
            ("jiancun03", "潘建新"),
            ("jiancun04", "罗晓燕"),
            ("jiancun05", "刘䶮"),
        ],
    ),
    (
        "太平社区规划师团队",
        "太平社区",
        [
            ("taiping01", "关德胜"),
            ("taiping02", "区嘉欣"),
            ("taiping03", "麦永康"),
            ("taiping04", "谭慧芳"),
            ("taiping05", "邓家豪"),
        ],
    ),
    (
        "叠滘社区规划师团队",
        "叠滘社区",
        [
            ("diejiao01", "庞少华"),
            ("diejiao02", "吴佩珊"),
            ("diejiao03", "钟文辉"),
            ("diejiao04", "苏倩仪"),
            ("diejiao05", "杜俊杰"),
        ],
    ),
    (
        "夏西社区规划师团队",
        "夏西社区",
        [
            ("xiaxi01", "叶振邦"),
            ("xiaxi02", "林小红"),
            ("xiaxi03", "郭海燕"),
            ("xiaxi04", "曾国强"),
        ],
    ),
    (
        "沙口社区规划师团队",
        "沙口社区",
        [
            ("shakou01", "岑家乐"),
            ("shakou02", "卢惠琼"),
            ("shakou03", "黄锦涛"),
            ("shakou04", "霍敏仪"),
            ("shakou05", "莫志勇"),
        ],
    ),
]


def _user(username: str, full_name: str, mobile: str, *, is_staff: bool = False) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"full_name": full_name, "mobile": mobile, "is_staff": is_staff}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def build_modules(cohort: Cohort) -> tuple[dict[str, Module], list[Lesson]]:
    """The course's modules and lessons in a cohort (idempotent): modules by title, lessons in course order."""
    positions: dict[str, int] = {}
    modules: dict[str, Module] = {}
    for phase, title, summary, requires, lessons in MODULES:
        positions[phase] = positions.get(phase, 0) + 1
        module, created = Module.objects.get_or_create(
            cohort=cohort, phase=phase, position=positions[phase], defaults={"title": title, "summary": summary}
        )
        if created:
            module.requires.set([modules[r] for r in requires])
        modules[title] = module
        for position, (kind, lesson_title, body) in enumerate(lessons, start=1):
            Lesson.objects.get_or_create(
                module=module, position=position, defaults={"kind": kind, "title": lesson_title, "body": body}
            )

    ordered_lessons = list(
        Lesson.objects.filter(module__cohort=cohort)
        .select_related("module")
        .order_by("module__phase", "module__position", "position")
    )
    ordered_lessons.sort(
        key=lambda lesson: (Phase.position(lesson.module.phase), lesson.module.position, lesson.position)
    )
    return modules, ordered_lessons


def seed() -> str:
    district, _ = District.objects.get_or_create(code="nh", defaults={"name": "南海区"})
    communities = {}
    for town_name, names in PLACES.items():
        town, _ = Town.objects.get_or_create(district=district, name=town_name)
        for name in names:
            communities[name], _ = Community.objects.get_or_create(town=town, name=name)

    staff = _user(*STAFF, is_staff=True)
    DistrictStaff.objects.get_or_create(district=district, user=staff)

    course, _ = Course.objects.get_or_create(
        code="community-planner",
        defaults={
            "title": "社区规划师培育课程",
            "description": "以“做中学、学中练、练中成”为理念，分集中课程、实地支持、模式探索三个阶段。",
            "issuing_body": "佛山市南海区民政局",
        },
    )
    cohort, _ = Cohort.objects.get_or_create(
        course=course,
        district=district,
        year=DEMO_YEAR,
        defaults={
            "name": f"南海区{DEMO_YEAR}年社区规划师培育班",
            "starts_on": date(DEMO_YEAR, 3, 1),
            "ends_on": date(DEMO_YEAR, 12, 31),
        },
    )
    for username, name, mobile in INSTRUCTORS:
        Teaching.objects.get_or_create(cohort=cohort, instructor=_user(username, name, mobile))

    modules, ordered_lessons = build_modules(cohort)

    trainee_number = 0
    for team_name, community_name, members in TEAMS:
        community = communities[community_name]
        team, _ = Team.objects.get_or_create(cohort=cohort, name=team_name, defaults={"community": community})
        for username, name in members:
            trainee_number += 1
            trainee = _user(username, name, f"1380000{trainee_number:04d}")
            enrolment = Enrolment.objects.filter(cohort=cohort, trainee=trainee).first()
            if enrolment is None:
                enrolment = services.enrolment_create(
                    cohort=cohort, trainee=trainee, community=community, team=team, actor=staff
                )
            # Varied progress, always in course order so prerequisites hold.
            done = 9 if username == "hegang01" else (trainee_number * 7) % (len(ordered_lessons) + 1)
            for lesson in ordered_lessons[:done]:
                services.lesson_complete(enrolment=enrolment, lesson=lesson, actor=trainee)

    return f"{cohort.name}: {len(modules)} modules, {len(ordered_lessons)} lessons, {trainee_number} trainees"
