"""The cohort dashboard: charts with their tables for staff and the cohort's instructors."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from courses import selectors
from homes import dashboards


@login_required
def cohort_dashboard(request, cohort_id: int):
    cohort = selectors.access_taught_cohort(user=request.user, cohort_id=cohort_id)
    community = dashboards.dashboard_community(cohort=cohort, value=request.GET.get("community", ""))
    board = dashboards.cohort_dashboard(cohort=cohort, community=community)
    return render(request, "courses/dashboard.html", {"board": board, "cohort": cohort})
