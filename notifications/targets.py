"""Who a change concerns and what to tell them: the trainees a target belongs to, its title and page.

Recipients are always read from enrolments that have not been withdrawn, so a person who left the cohort
is never told anything. Work handed to instructors (`describe_for_instructors`) names the grading page.
"""

from django.db.models import Q
from django.urls import reverse


def _owner_q(*, enrolment_id, team_id) -> Q:
    return Q(team_id=team_id) if team_id else Q(pk=enrolment_id)


def _submission(submission) -> tuple[Q, dict]:
    assignment = submission.assignment
    payload = {"title": assignment.title, "path": reverse("fieldwork:assignment-detail", args=[assignment.pk])}
    return _owner_q(enrolment_id=submission.enrolment_id, team_id=submission.team_id), payload


def describe_target(target) -> tuple[Q, int, dict]:
    """(a filter over Enrolment for the people concerned, the cohort id, the payload) for a changed row."""
    label = target._meta.label
    if label == "fieldwork.Submission":
        q, payload = _submission(target)
        return q, target.assignment.module.cohort_id, payload
    if label == "fieldwork.Objection":
        q, payload = _submission(target.submission)
        return q, target.submission.assignment.module.cohort_id, payload
    if label == "fieldwork.Extension":
        assignment = target.assignment
        payload = {
            "title": assignment.title,
            "due_at": target.due_at.isoformat(),
            "path": reverse("fieldwork:assignment-detail", args=[assignment.pk]),
        }
        return _owner_q(enrolment_id=target.enrolment_id, team_id=target.team_id), assignment.module.cohort_id, payload
    if label == "projects.ModelCase":
        team = target.project.team
        payload = {"title": target.title, "path": reverse("projects:case-detail", args=[target.pk])}
        return Q(team_id=team.pk), team.cohort_id, payload
    if label == "certificates.Certificate":
        # The trainee's own page (the staff page answers 404 to a trainee).
        payload = {"title": target.course_title, "path": reverse("certificates-own", args=[target.pk])}
        return Q(pk=target.enrolment_id), target.cohort_id, payload
    if label == "fieldwork.Assignment":  # every trainee of the cohort
        payload = {
            "title": target.title,
            "due_at": target.due_at.isoformat(),
            "path": reverse("fieldwork:assignment-detail", args=[target.pk]),
        }
        return Q(), target.module.cohort_id, payload
    if label == "courses.Session":  # every trainee of the cohort (guidance sessions too: plans change for all)
        payload = {
            "title": target.lesson.title,
            "starts_at": target.starts_at.isoformat(),
            "place": target.place,
            "path": reverse("check-in-list"),
        }
        return Q(), target.cohort_id, payload
    if label == "courses.EnrolmentChange":
        # The moved trainee and the members of the team it left and the team it joined.
        enrolment = target.enrolment
        teams = [pk for pk in (target.from_team_id, target.to_team_id) if pk]
        payload = {
            "who": str(enrolment.trainee),
            "from": " · ".join(filter(None, [target.from_community.name, target.from_team_name])),
            "to": " · ".join(filter(None, [target.to_community.name, target.to_team_name])),
            "on": target.effective_on.isoformat(),
            "path": reverse("home"),
        }
        return Q(pk=enrolment.pk) | Q(team_id__in=teams), enrolment.cohort_id, payload
    raise ValueError(f"No recipients known for {label}")


def describe_for_instructors(target) -> tuple[int, object, dict]:
    """(the cohort id, the submission, the payload) for work an instructor of the cohort is waiting on:
    a submission handed in, or an objection to its grade. The payload opens the grading page."""
    label = target._meta.label
    if label == "fieldwork.Submission":
        submission = target
    elif label == "fieldwork.Objection":
        submission = target.submission
    else:
        raise ValueError(f"No instructors' notification known for {label}")
    who = submission.team.name if submission.team_id else str(submission.enrolment.trainee)
    payload = {
        "title": submission.assignment.title,
        "who": who,
        "path": reverse("fieldwork:submission-grade", args=[submission.pk]),
    }
    return submission.assignment.module.cohort_id, submission, payload
