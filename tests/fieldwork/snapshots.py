"""What a refused request must leave untouched: rows of every fieldwork table and the stored files."""

from fieldwork import models
from lms.models import AuditEntry

TABLES = [
    models.Submission,
    models.SubmissionVersion,
    models.SubmissionFile,
    models.Extension,
    models.Assessment,
    models.CriterionScore,
    models.FeedbackFile,
    models.GradeChange,
    models.Objection,
    AuditEntry,
]


def snapshot(root=None) -> dict:
    # A refusal is itself audited (lms.audit_events): such entries record the attempt, not a change.
    state = {model.__name__: list(model.objects.order_by("pk").values()) for model in TABLES if model is not AuditEntry}
    state["AuditEntry"] = list(AuditEntry.objects.changes().order_by("pk").values())
    if root is not None:
        state["files"] = sorted(str(p) for p in root.rglob("*") if p.is_file())
    return state
