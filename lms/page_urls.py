"""Pages of people (district staff) and of each person's own password."""

from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from lms.views import people as views
from lms.views import places, second_factor

PLACE_ACTIONS = "rename|retire|reinstate|delete"  # one service each; any other word is not a page

urlpatterns = [
    path("people/", views.people_list, name="people"),
    path("people/new/", views.person_new, name="person-new"),
    path("people/<int:person_id>/", views.person_detail, name="person-detail"),
    path("people/<int:person_id>/edit/", views.person_edit, name="person-edit"),
    path("people/<int:person_id>/deactivate/", views.person_deactivate, name="person-deactivate"),
    path("people/<int:person_id>/password-reset/", views.person_password_reset, name="person-password-reset"),
    path("places/", places.places_list, name="places"),
    path("places/districts/<int:district_id>/towns/", places.town_create, name="town-create"),
    path("places/communities/", places.community_create, name="community-create"),
    path("places/towns/<int:town_id>/", places.town_detail, name="town-detail"),
    re_path(
        rf"^places/towns/(?P<town_id>[0-9]+)/(?P<action>{PLACE_ACTIONS})/$", places.town_change, name="town-change"
    ),
    path("places/communities/<int:community_id>/", places.community_detail, name="community-detail"),
    re_path(
        rf"^places/communities/(?P<community_id>[0-9]+)/(?P<action>{PLACE_ACTIONS})/$",
        places.community_change,
        name="community-change",
    ),
    path("accounts/password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/password/set/", views.PasswordSetView.as_view(), name="password_set"),
    path("accounts/second-factor/", second_factor.second_factor_page, name="second-factor"),
    path(
        "accounts/second-factor/recovery-codes/", second_factor.recovery_codes_renew, name="second-factor-recovery"
    ),
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
