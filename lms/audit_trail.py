"""The audit trail as people read it: each verb as a sentence, rows scoped and labelled in a fixed number of queries.

Every verb written by a service (grep `audit_record(`) has a phrase here; tests/lms/test_audit_trail.py
fails when a service writes a verb without one.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lms.models import AuditEntry, User
from lms.predicates import audit_visible_q
from lms.registry import provided
from lms.spreadsheets import Table

# verb → sentence; %(actor)s is who, %(target)s what the row names. A detail, when the verb has one,
# follows after a full-width colon ("梁慧敏 撤销了 NH-2022-0003 的证书：信息有误").
PHRASES = {
    "certificates.retried": gettext_lazy("%(actor)s put the failed certificates of %(target)s back in the queue"),
    "cohort.sheet_enrolled": gettext_lazy("%(actor)s enrolled trainees in %(target)s from a sheet"),
    "teaching.added": gettext_lazy("%(actor)s assigned the instructor %(target)s"),
    "teaching.removed": gettext_lazy("%(actor)s removed the instructor %(target)s"),
    "user.created": gettext_lazy("%(actor)s created the account of %(target)s"),
    "user.deactivated": gettext_lazy("%(actor)s deactivated the account of %(target)s"),
    "user.password_reset": gettext_lazy("%(actor)s gave %(target)s a temporary password"),
    "user.password_reset_by_email": gettext_lazy("%(actor)s reset the password by e-mail"),
    "user.password_reset_by_sms": gettext_lazy("%(actor)s reset the password with an SMS code"),
    "user.password_set": gettext_lazy("%(actor)s set a new password"),
    "user.password_changed": gettext_lazy("%(actor)s changed the password"),
    "user.set_password_link_issued": gettext_lazy("%(actor)s issued a set-password link for %(target)s"),
    "user.updated": gettext_lazy("%(actor)s changed the details of %(target)s"),
    "town.created": gettext_lazy("%(actor)s added the town %(target)s"),
    "town.renamed": gettext_lazy("%(actor)s renamed the town %(target)s"),
    "town.retired": gettext_lazy("%(actor)s retired the town %(target)s"),
    "town.reinstated": gettext_lazy("%(actor)s put the town %(target)s back in use"),
    "town.deleted": gettext_lazy("%(actor)s deleted a town of %(target)s"),
    "community.created": gettext_lazy("%(actor)s added the community %(target)s"),
    "community.renamed": gettext_lazy("%(actor)s renamed the community %(target)s"),
    "community.retired": gettext_lazy("%(actor)s retired the community %(target)s"),
    "community.reinstated": gettext_lazy("%(actor)s put the community %(target)s back in use"),
    "community.deleted": gettext_lazy("%(actor)s deleted a community of the town %(target)s"),
    "cohort.created": gettext_lazy("%(actor)s created the cohort %(target)s"),
    "cohort.updated": gettext_lazy("%(actor)s changed the cohort %(target)s"),
    "cohort.copied": gettext_lazy("%(actor)s created the cohort %(target)s as a copy"),
    "module.created": gettext_lazy("%(actor)s added the module %(target)s"),
    "module.updated": gettext_lazy("%(actor)s changed the module %(target)s"),
    "module.moved": gettext_lazy("%(actor)s moved the module %(target)s"),
    "module.deleted": gettext_lazy("%(actor)s deleted a module of %(target)s"),
    "lesson.created": gettext_lazy("%(actor)s added the lesson %(target)s"),
    "lesson.updated": gettext_lazy("%(actor)s changed the lesson %(target)s"),
    "lesson.moved": gettext_lazy("%(actor)s moved the lesson %(target)s"),
    "lesson.deleted": gettext_lazy("%(actor)s deleted a lesson of the module %(target)s"),
    "lesson_attachment.added": gettext_lazy("%(actor)s added the reading material %(target)s"),
    "lesson_attachment.removed": gettext_lazy("%(actor)s removed reading material from the lesson %(target)s"),
    "lesson.completed": gettext_lazy("%(actor)s finished the lesson %(target)s"),
    "enrolment.created": gettext_lazy("%(actor)s enrolled %(target)s"),
    "enrolment.withdrawn": gettext_lazy("%(actor)s withdrew %(target)s"),
    "session.created": gettext_lazy("%(actor)s scheduled the session %(target)s"),
    "session.updated": gettext_lazy("%(actor)s changed the session %(target)s"),
    "session.deleted": gettext_lazy("%(actor)s deleted a session of the lesson %(target)s"),
    "attendance.corrected": gettext_lazy("%(actor)s corrected the attendance of %(target)s"),
    "assignment.created": gettext_lazy("%(actor)s set the assignment %(target)s"),
    "assignment.updated": gettext_lazy("%(actor)s changed the assignment %(target)s"),
    "assignment.deleted": gettext_lazy("%(actor)s deleted an assignment of the module %(target)s"),
    "rubric.saved": gettext_lazy("%(actor)s saved the rubric of %(target)s"),
    "submission.started": gettext_lazy("%(actor)s started work on %(target)s"),
    "submission.file_added": gettext_lazy("%(actor)s added the file %(target)s"),
    "submission.file_removed": gettext_lazy("%(actor)s removed a file from %(target)s"),
    "submission.submitted": gettext_lazy("%(actor)s handed in %(target)s"),
    "submission.returned": gettext_lazy("%(actor)s returned %(target)s for revision"),
    "submission.graded": gettext_lazy("%(actor)s graded %(target)s"),
    "grade.released": gettext_lazy("%(actor)s released the grade of %(target)s"),
    "grades.released": gettext_lazy("%(actor)s released the grades of %(target)s"),
    "extension.granted": gettext_lazy("%(actor)s granted an extension for %(target)s"),
    "objection.raised": gettext_lazy("%(actor)s raised an objection to the grade of %(target)s"),
    "objection.resolved": gettext_lazy("%(actor)s answered the objection to %(target)s"),
    "project.created": gettext_lazy("%(actor)s started the field project %(target)s"),
    "project.updated": gettext_lazy("%(actor)s changed the field project %(target)s"),
    "activity.recorded": gettext_lazy("%(actor)s recorded the activity %(target)s"),
    "activity.corrected": gettext_lazy("%(actor)s corrected the activity %(target)s"),
    "visit.logged": gettext_lazy("%(actor)s logged the support visit %(target)s"),
    "next_step.closed": gettext_lazy("%(actor)s closed the next step %(target)s"),
    "before_after.added": gettext_lazy("%(actor)s added before-and-after photos to %(target)s"),
    "case.created": gettext_lazy("%(actor)s started the model case %(target)s"),
    "case.saved": gettext_lazy("%(actor)s saved the model case %(target)s"),
    "case.submitted": gettext_lazy("%(actor)s submitted the model case %(target)s"),
    "case.returned": gettext_lazy("%(actor)s returned the model case %(target)s"),
    "case.approved": gettext_lazy("%(actor)s approved the model case %(target)s"),
    "certificates.issued": gettext_lazy("%(actor)s issued certificates for %(target)s"),
    "certificate.revoked": gettext_lazy("%(actor)s revoked the certificate %(target)s"),
    "certificate.reissued": gettext_lazy("%(actor)s reissued the certificate %(target)s"),
    "certificate.retried": gettext_lazy("%(actor)s rendered the certificate %(target)s again"),
    "completion_rule.saved": gettext_lazy("%(actor)s changed the completion rules of %(target)s"),
    "certificate_template.saved": gettext_lazy("%(actor)s changed the certificate template of %(target)s"),
    # --- roles
    "grade.corrected": gettext_lazy("%(actor)s corrected the released grade of %(target)s"),
    "grade.finalised": gettext_lazy("The grade of %(target)s became final: the window for objections ended"),
    "enrolment.moved": gettext_lazy("%(actor)s moved %(target)s"),
    "enrolment.restored": gettext_lazy("%(actor)s restored the enrolment of %(target)s"),
    "auth.signed_in": gettext_lazy("%(actor)s signed in"),
    "auth.signed_out": gettext_lazy("%(actor)s signed out"),
    "auth.sign_in_failed": gettext_lazy("Sign-in failed for %(target)s"),
    "auth.token_issued": gettext_lazy("%(actor)s obtained an API token"),
    "auth.second_factor_enrolled": gettext_lazy("%(actor)s set up the second factor"),
    "auth.second_factor_failed": gettext_lazy("%(actor)s entered a wrong second-factor code"),
    "auth.second_factor_locked": gettext_lazy("%(actor)s was locked out after wrong second-factor codes"),
    "auth.recovery_code_used": gettext_lazy("%(actor)s signed in with a recovery code"),
    "auth.recovery_codes_renewed": gettext_lazy("%(actor)s made new recovery codes"),
    "auth.second_factor_reset": gettext_lazy("%(actor)s reset the second factor of %(target)s"),
    "access.refused": gettext_lazy("%(actor)s was refused access to %(target)s"),
    "export.attendance": gettext_lazy("%(actor)s exported the attendance of %(target)s"),
    "export.gradebook": gettext_lazy("%(actor)s exported the gradebook of %(target)s"),
    "export.eligibility": gettext_lazy("%(actor)s exported the certificate eligibility of %(target)s"),
    "export.certificates_zip": gettext_lazy("%(actor)s downloaded the certificates of %(target)s as a ZIP"),
    "export.audit": gettext_lazy("%(actor)s exported the audit trail"),
    "download.file": gettext_lazy("%(actor)s downloaded the file %(target)s"),
    "download.certificate": gettext_lazy("%(actor)s downloaded the certificate %(target)s"),
    "download.photo": gettext_lazy("%(actor)s downloaded the original photo %(target)s"),
}
UNKNOWN_PHRASE = gettext_lazy("%(actor)s: %(verb)s on %(target)s")


def _revocation_reason(data: dict) -> str:
    RevocationReason = provided("RevocationReason")

    reason = data.get("reason", "")
    return str(RevocationReason(reason).label) if reason in RevocationReason.values else reason


def _attendance_change(data: dict) -> str:
    AttendanceStatus = provided("AttendanceStatus")

    def label(value):
        return str(AttendanceStatus(value).label) if value in AttendanceStatus.values else value or ""

    text = f"{label(data.get('old'))} → {label(data.get('new'))}"
    return f"{text}（{data['reason']}）" if data.get("reason") else text


def _moved(data: dict) -> str:
    position = data.get("position", "")
    if data.get("direction") == "up":
        return _("up, to position %(position)s") % {"position": position}
    if data.get("direction") == "down":
        return _("down, to position %(position)s") % {"position": position}
    return ""


def _deleted_session(data: dict) -> str:
    try:
        when = _local(datetime.fromisoformat(data.get("starts_at", "")))
    except ValueError:
        when = ""
    return " ".join(part for part in (when, data.get("place", "")) if part)


def _objection_outcome(data: dict) -> str:
    ObjectionOutcome = provided("ObjectionOutcome")

    outcome = data.get("outcome", "")
    return str(ObjectionOutcome(outcome).label) if outcome in ObjectionOutcome.values else outcome


# verb → the detail after the colon, read from the row's data
DETAILS = {
    "certificate.revoked": _revocation_reason,
    "enrolment.withdrawn": lambda data: data.get("reason", ""),
    "attendance.corrected": _attendance_change,
    "objection.resolved": _objection_outcome,
    "submission.graded": lambda data: _("%(total)s points") % {"total": data["total"]} if data.get("total") else "",
    "cohort.copied": lambda data: _("from %(name)s") % {"name": data["source_name"]} if data.get("source_name") else "",
    "grades.released": lambda data: _("%(count)s submissions") % {"count": data["count"]} if "count" in data else "",
    "town.renamed": lambda data: _("from %(name)s") % {"name": data["old"]} if data.get("old") else "",
    "community.renamed": lambda data: _("from %(name)s") % {"name": data["old"]} if data.get("old") else "",
    "town.deleted": lambda data: data.get("name", ""),
    "community.deleted": lambda data: data.get("name", ""),
    "lesson_attachment.removed": lambda data: data.get("name", ""),
    "module.moved": _moved,
    "lesson.moved": _moved,
    "module.deleted": lambda data: data.get("title", ""),
    "lesson.deleted": lambda data: data.get("title", ""),
    "assignment.deleted": lambda data: data.get("title", ""),
    "session.deleted": _deleted_session,
    "grade.corrected": lambda data: _grade_correction(data),
    "enrolment.moved": lambda data: _enrolment_move(data),
    "enrolment.restored": lambda data: data.get("reason", ""),
    "auth.sign_in_failed": lambda data: " ".join(filter(None, (data.get("username", ""), data.get("address", "")))),
    "access.refused": lambda data: data.get("path", ""),
    "export.audit": lambda data: _("%(rows)s rows") % {"rows": data["rows"]} if "rows" in data else "",
}


def _grade_correction(data) -> str:
    return _("%(old)s → %(new)s points, %(reason)s") % {
        "old": data.get("old") or "—",
        "new": data.get("new") or "—",
        "reason": data.get("reason", ""),
    }


def _enrolment_move(data) -> str:
    return _("%(from)s → %(to)s from %(on)s, %(reason)s") % {
        "from": data.get("from", ""),
        "to": data.get("to", ""),
        "on": data.get("on", ""),
        "reason": data.get("reason", ""),
    }


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# model label → (select_related joins, label function): what names a target in a sentence, read in
# one query per kind of target on the page.
LABELS = {
    "courses.enrolment": (("trainee",), lambda o: o.trainee.full_name or o.trainee.username),
    "courses.lessoncompletion": (("lesson",), lambda o: o.lesson.title),
    "courses.session": (("lesson",), lambda o: f"{o.lesson.title} {_local(o.starts_at)}"),
    "courses.attendance": (
        ("enrolment__trainee", "session__lesson"),
        lambda o: f"{o.enrolment.trainee.full_name} · {o.session.lesson.title} {_local(o.session.starts_at)}",
    ),
    "fieldwork.submission": (
        ("assignment", "enrolment__trainee", "team"),
        lambda o: f"{o.assignment.title} · {o.team.name if o.team_id else o.enrolment.trainee.full_name}",
    ),
    "fieldwork.submissionfile": (("submission__assignment",), lambda o: o.name),
    "fieldwork.extension": (("assignment",), lambda o: o.assignment.title),
    "fieldwork.objection": (
        ("submission__assignment", "submission__enrolment__trainee", "submission__team"),
        lambda o: (
            f"{o.submission.assignment.title} · "
            f"{o.submission.team.name if o.submission.team_id else o.submission.enrolment.trainee.full_name}"
        ),
    ),
    "certificates.certificate": ((), lambda o: o.serial),
    "lms.district": ((), lambda o: o.name),
    "lms.town": ((), lambda o: o.name),
    "lms.community": (("town",), lambda o: f"{o.town.name} · {o.name}"),
    "certificates.issuancebatch": (("cohort",), lambda o: o.cohort.name),
    "certificates.completionrule": (("cohort",), lambda o: o.cohort.name),
    "certificates.certificatetemplate": (("course",), lambda o: o.course.title),
    "projects.supportvisit": (("project",), lambda o: f"{o.project.title} {o.visited_on}"),
    "projects.nextstep": ((), lambda o: o.description),
    "projects.beforeafterpair": (("project",), lambda o: o.project.title),
}


@dataclass
class AuditLine:
    entry: AuditEntry
    actor_name: str
    target_label: str
    phrase: str


def phrase_for(entry: AuditEntry, target_label: str) -> str:
    actor = entry.actor.full_name or entry.actor.username if entry.actor_id else _("The system")
    template = PHRASES.get(entry.verb)
    if template is None:
        text = UNKNOWN_PHRASE % {"actor": actor, "verb": entry.verb, "target": target_label}
    else:
        text = template % {"actor": actor, "target": target_label}
    detail = DETAILS.get(entry.verb)
    detail_text = detail(entry.data or {}) if detail else ""
    if not detail_text and (entry.data or {}).get("changes"):
        detail_text = _changes_text(entry)
    return f"{text}：{detail_text}" if detail_text else text


def _changes_text(entry: AuditEntry) -> str:
    """A versioned save's values before and after, by the fields' names ("及格分 60 → 70；…")."""
    model = ContentType.objects.get_for_id(entry.target_type_id).model_class()
    parts = []
    for name, (before, after) in entry.data["changes"].items():
        try:
            label = str(model._meta.get_field(name).verbose_name) if model else name
        except Exception:  # not a model field
            label = name
        parts.append(f"{label} {before} → {after}")
    return "；".join(parts)


def _target_labels(entries: list[AuditEntry]) -> dict[tuple[int, str], str]:
    """Labels of every target on the page: one query per kind of target, whatever the number of rows."""
    by_type: dict[int, set[str]] = {}
    for entry in entries:
        by_type.setdefault(entry.target_type_id, set()).add(entry.target_id)
    labels = {}
    for type_id, ids in by_type.items():
        content_type = ContentType.objects.get_for_id(type_id)  # cached after the first use
        try:
            model = apps.get_model(content_type.app_label, content_type.model)
        except LookupError:
            continue
        joins, label = LABELS.get(model._meta.label_lower, ((), str))
        pks = [i for i in ids if i.isdigit()]
        for obj in model._default_manager.select_related(*joins).filter(pk__in=pks):
            labels[(type_id, str(obj.pk))] = label(obj)
    return labels


def audit_lines(entries: list[AuditEntry]) -> list[AuditLine]:
    labels = _target_labels(entries)
    lines = []
    for entry in entries:
        # The name the row had when the action was taken, where the service kept it; else today's.
        target = (entry.data or {}).get("target_name") or labels.get(
            (entry.target_type_id, entry.target_id), _("(deleted)")
        )
        actor_name = (entry.actor.full_name or entry.actor.username) if entry.actor_id else _("The system")
        lines.append(
            AuditLine(entry=entry, actor_name=actor_name, target_label=target, phrase=phrase_for(entry, target))
        )
    return lines


def audit_entries(
    *, user, actor_id: int | None = None, verb: str = "", since: date | None = None, until: date | None = None
) -> QuerySet[AuditEntry]:
    """The audit rows the user may read, newest first, filtered; one indexed query."""
    rows = AuditEntry.objects.filter(audit_visible_q(user)).select_related("actor").order_by("-created_at", "-pk")
    if actor_id is not None:
        rows = rows.filter(actor_id=actor_id)
    if verb:
        rows = rows.filter(verb=verb)
    zone = timezone.get_current_timezone()
    if since is not None:
        rows = rows.filter(created_at__gte=datetime.combine(since, time.min, tzinfo=zone))
    if until is not None:
        rows = rows.filter(created_at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone))
    return rows


def audit_actors(*, user) -> list[User]:
    """The people who appear in the rows the user may read: the choices of the person filter."""
    visible = AuditEntry.objects.filter(audit_visible_q(user)).values("actor_id")
    return list(User.objects.filter(pk__in=visible).order_by("full_name", "username"))


# --- exports

EXPORT_LIMIT = 50_000


def audit_table(lines: list[AuditLine]) -> Table:
    rows = [
        [_local(line.entry.created_at), line.actor_name, str(action_label(line.entry.verb)), line.phrase]
        for line in lines
    ]
    return Table(title=_("Audit"), headers=[_("When"), _("Who"), _("Action"), _("What happened")], rows=rows)


ACTION_LABELS = {
    verb: label
    for verb, label in {
        "certificates.retried": gettext_lazy("Failed certificates retried"),
        "cohort.sheet_enrolled": gettext_lazy("Trainees enrolled from a sheet"),
        "teaching.added": gettext_lazy("Instructor assigned"),
        "teaching.removed": gettext_lazy("Instructor removed"),
        "user.created": gettext_lazy("Account created"),
        "user.deactivated": gettext_lazy("Account deactivated"),
        "user.password_reset": gettext_lazy("Temporary password given"),
        "user.password_reset_by_email": gettext_lazy("Password reset by e-mail"),
        "user.password_reset_by_sms": gettext_lazy("Password reset by SMS"),
        "user.password_set": gettext_lazy("Password set"),
        "user.password_changed": gettext_lazy("Password changed"),
        "user.set_password_link_issued": gettext_lazy("Set-password link issued"),
        "user.updated": gettext_lazy("Account changed"),
        "town.created": gettext_lazy("Town added"),
        "town.renamed": gettext_lazy("Town renamed"),
        "town.retired": gettext_lazy("Town retired"),
        "town.reinstated": gettext_lazy("Town back in use"),
        "town.deleted": gettext_lazy("Town deleted"),
        "community.created": gettext_lazy("Community added"),
        "community.renamed": gettext_lazy("Community renamed"),
        "community.retired": gettext_lazy("Community retired"),
        "community.reinstated": gettext_lazy("Community back in use"),
        "community.deleted": gettext_lazy("Community deleted"),
        "cohort.created": gettext_lazy("Cohort created"),
        "cohort.updated": gettext_lazy("Cohort changed"),
        "cohort.copied": gettext_lazy("Cohort copied"),
        "module.created": gettext_lazy("Module added"),
        "module.updated": gettext_lazy("Module changed"),
        "module.moved": gettext_lazy("Module moved"),
        "module.deleted": gettext_lazy("Module deleted"),
        "lesson.created": gettext_lazy("Lesson added"),
        "lesson.updated": gettext_lazy("Lesson changed"),
        "lesson.moved": gettext_lazy("Lesson moved"),
        "lesson.deleted": gettext_lazy("Lesson deleted"),
        "lesson_attachment.added": gettext_lazy("Reading material added"),
        "lesson_attachment.removed": gettext_lazy("Reading material removed"),
        "lesson.completed": gettext_lazy("Lesson finished"),
        "enrolment.created": gettext_lazy("Trainee enrolled"),
        "enrolment.withdrawn": gettext_lazy("Trainee withdrawn"),
        "session.created": gettext_lazy("Session scheduled"),
        "session.updated": gettext_lazy("Session changed"),
        "session.deleted": gettext_lazy("Session deleted"),
        "attendance.corrected": gettext_lazy("Attendance corrected"),
        "assignment.created": gettext_lazy("Assignment set"),
        "assignment.updated": gettext_lazy("Assignment changed"),
        "assignment.deleted": gettext_lazy("Assignment deleted"),
        "rubric.saved": gettext_lazy("Rubric saved"),
        "submission.started": gettext_lazy("Work started"),
        "submission.file_added": gettext_lazy("File added"),
        "submission.file_removed": gettext_lazy("File removed"),
        "submission.submitted": gettext_lazy("Work handed in"),
        "submission.returned": gettext_lazy("Work returned"),
        "submission.graded": gettext_lazy("Work graded"),
        "grade.released": gettext_lazy("Grade released"),
        "grades.released": gettext_lazy("Grades released"),
        "extension.granted": gettext_lazy("Extension granted"),
        "objection.raised": gettext_lazy("Objection raised"),
        "objection.resolved": gettext_lazy("Objection answered"),
        "project.created": gettext_lazy("Field project started"),
        "project.updated": gettext_lazy("Field project changed"),
        "activity.recorded": gettext_lazy("Activity recorded"),
        "activity.corrected": gettext_lazy("Activity corrected"),
        "visit.logged": gettext_lazy("Support visit logged"),
        "next_step.closed": gettext_lazy("Next step closed"),
        "before_after.added": gettext_lazy("Before-and-after photos added"),
        "case.created": gettext_lazy("Model case started"),
        "case.saved": gettext_lazy("Model case saved"),
        "case.submitted": gettext_lazy("Model case submitted"),
        "case.returned": gettext_lazy("Model case returned"),
        "case.approved": gettext_lazy("Model case approved"),
        "certificates.issued": gettext_lazy("Certificates issued"),
        "certificate.revoked": gettext_lazy("Certificate revoked"),
        "certificate.reissued": gettext_lazy("Certificate reissued"),
        "certificate.retried": gettext_lazy("Certificate rendered again"),
        "completion_rule.saved": gettext_lazy("Completion rules changed"),
        "certificate_template.saved": gettext_lazy("Certificate template changed"),
        # --- roles
        "grade.corrected": gettext_lazy("Grade corrected"),
        "grade.finalised": gettext_lazy("Grade became final"),
        "enrolment.moved": gettext_lazy("Trainee moved"),
        "enrolment.restored": gettext_lazy("Enrolment restored"),
        "auth.signed_in": gettext_lazy("Signed in"),
        "auth.signed_out": gettext_lazy("Signed out"),
        "auth.sign_in_failed": gettext_lazy("Failed sign-in"),
        "auth.token_issued": gettext_lazy("API token issued"),
        "auth.second_factor_enrolled": gettext_lazy("Second factor set up"),
        "auth.second_factor_failed": gettext_lazy("Wrong second-factor code"),
        "auth.second_factor_locked": gettext_lazy("Second factor locked"),
        "auth.recovery_code_used": gettext_lazy("Recovery code used"),
        "auth.recovery_codes_renewed": gettext_lazy("Recovery codes renewed"),
        "auth.second_factor_reset": gettext_lazy("Second factor reset"),
        "access.refused": gettext_lazy("Access refused"),
        "export.attendance": gettext_lazy("Attendance exported"),
        "export.gradebook": gettext_lazy("Gradebook exported"),
        "export.eligibility": gettext_lazy("Eligibility exported"),
        "export.certificates_zip": gettext_lazy("Certificates ZIP downloaded"),
        "export.audit": gettext_lazy("Audit exported"),
        "download.file": gettext_lazy("File downloaded"),
        "download.certificate": gettext_lazy("Certificate downloaded"),
        "download.photo": gettext_lazy("Original photo downloaded"),
    }.items()
}


def action_label(verb: str):
    return ACTION_LABELS.get(verb, verb)
