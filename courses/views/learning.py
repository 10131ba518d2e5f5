from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courses import selectors, services
from lms.errors import NotAllowed


@login_required
def home(request):
    memberships = selectors.user_cohorts(user=request.user)
    only_learning = [m for m in memberships if m.enrolment and not (m.teaches or m.manages)]
    if len(memberships) == 1 and only_learning:
        return redirect("cohort-learn", cohort_id=memberships[0].cohort.pk)
    return render(request, "courses/home.html", {"memberships": memberships})


@login_required
def cohort_learn(request, cohort_id: int):
    cohort = selectors.access_cohort(user=request.user, cohort_id=cohort_id)
    enrolment = selectors.trainee_enrolment(user=request.user, cohort=cohort)
    progress = selectors.course_progress(cohort=cohort, enrolment=enrolment)
    return render(request, "courses/learn.html", {"cohort": cohort, "enrolment": enrolment, "progress": progress})


@login_required
def module_detail(request, module_id: int):
    module = selectors.access_module(user=request.user, module_id=module_id)
    cohort = module.cohort
    enrolment = selectors.trainee_enrolment(user=request.user, cohort=cohort)
    progress = selectors.course_progress(cohort=cohort, enrolment=enrolment)
    return render(
        request,
        "courses/module.html",
        {"cohort": cohort, "enrolment": enrolment, "module_progress": progress.for_module(module.pk)},
    )


@login_required
def lesson_detail(request, lesson_id: int):
    lesson = selectors.access_lesson(user=request.user, lesson_id=lesson_id)
    cohort = lesson.module.cohort
    enrolment = selectors.trainee_enrolment(user=request.user, cohort=cohort)
    progress = selectors.course_progress(cohort=cohort, enrolment=enrolment)
    module_progress, lesson = progress.for_lesson(lesson.pk)
    lessons = module_progress.lessons
    index = lessons.index(lesson)
    return render(
        request,
        "courses/lesson.html",
        {
            "cohort": cohort,
            "enrolment": enrolment,
            "module_progress": module_progress,
            "lesson": lesson,
            "done": lesson.pk in module_progress.done_ids,
            "previous_lesson": lessons[index - 1] if index > 0 else None,
            "next_lesson": lessons[index + 1] if index + 1 < len(lessons) else None,
        },
    )


@login_required
@require_POST
def lesson_mark_done(request, lesson_id: int):
    lesson = selectors.access_lesson(user=request.user, lesson_id=lesson_id)
    enrolment = selectors.trainee_enrolment(user=request.user, cohort=lesson.module.cohort)
    if enrolment is None:
        raise NotAllowed(_("Only trainees of this cohort can mark lessons done."))
    _completion, created = services.lesson_complete(enrolment=enrolment, lesson=lesson, actor=request.user)
    if created:
        messages.success(request, _("“%(title)s” is marked done.") % {"title": lesson.title})
    else:
        messages.info(request, _("You had already finished “%(title)s”.") % {"title": lesson.title})
    return redirect("lesson-detail", lesson_id=lesson.pk)
