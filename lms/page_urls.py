"""Pages of people (district staff) and of each person's own password."""

from django.contrib.auth import views as auth_views
from django.urls import path

from lms.views import people as views

urlpatterns = [
    path("people/", views.people_list, name="people"),
    path("people/new/", views.person_new, name="person-new"),
    path("people/<int:person_id>/", views.person_detail, name="person-detail"),
    path("people/<int:person_id>/edit/", views.person_edit, name="person-edit"),
    path("people/<int:person_id>/deactivate/", views.person_deactivate, name="person-deactivate"),
    path("people/<int:person_id>/password-reset/", views.person_password_reset, name="person-password-reset"),
    path("accounts/password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/password/set/", views.PasswordSetView.as_view(), name="password_set"),
    path("accounts/password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
