from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class UsernameOrMobileBackend(ModelBackend):
    """Log in with the username or the mobile number (trainees remember their phone number)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and username.isdigit() and len(username) == 11:
            user = get_user_model().objects.filter(mobile=username).first()
            if user:
                username = user.get_username()
        return super().authenticate(request, username=username, password=password, **kwargs)
