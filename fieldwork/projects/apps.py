from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    """Field projects, support visits, engagement activities and model cases (phases two and three)."""

    name = "fieldwork.projects"
    label = "projects"
    verbose_name = _("Field projects")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from fieldwork.projects.models import FieldProject
        from lms import registry

        registry.provide(FieldProject=FieldProject)  # a community named by a project stays (lms/registry.py)
