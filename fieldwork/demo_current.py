"""Demo assignments open now in the current Nanhai cohort (see courses.demo_current). Idempotent."""

from courses.demo_current import current_cohort
from fieldwork.demo import _assignments
from fieldwork.models import WorkMode

# Titles differ from the 2022 cohort's so each names one assignment.
OPEN_NOW = [
    (
        "社区规划基础",
        "社区议题清单",
        WorkMode.INDIVIDUAL,
        "走访本社区，列出居民最关心的3个议题，每个议题附一张现场照片和一段居民原话。",
        10,
        [
            ("议题来自居民", [("待改进", 0, 5), ("良好", 6, 8), ("优秀", 9, 10)]),
            ("记录的具体程度", [("待改进", 0, 5), ("良好", 6, 8), ("优秀", 9, 10)]),
        ],
    ),
    (
        "专业技能授课",
        "议事会筹备方案",
        WorkMode.TEAM,
        "以小组为单位，提交第一次居民议事会的筹备方案：议题、参与人、流程与分工。",
        21,
        [
            ("议题与参与人", [("待改进", 0, 11), ("良好", 12, 16), ("优秀", 17, 20)]),
            ("流程与分工", [("待改进", 0, 11), ("良好", 12, 16), ("优秀", 17, 20)]),
        ],
    ),
]


def seed() -> str:
    cohort = current_cohort("nh")
    if cohort is None:
        return "no current Nanhai cohort: run courses.demo_current first"
    made = _assignments(cohort, OPEN_NOW)
    return f"{cohort.name}: {len(made)} open assignments"
