from django.urls import path

from homes import views

app_name = "homes"
urlpatterns = [
    path("", views.todo, name="todo"),
    path("trainee/", views.trainee, name="trainee"),
    path("instructor/", views.instructor, name="instructor"),
    path("staff/", views.staff, name="staff"),
]
