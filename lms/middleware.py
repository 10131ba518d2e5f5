from django.shortcuts import render

from lms.errors import ApplicationError


class ApplicationErrorMiddleware:
    """Turn a domain error raised under a page into that page's 4xx with the error's message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, ApplicationError) and not request.path.startswith("/api/"):
            return render(
                request,
                "error.html",
                {"message": exception.message, "code": exception.code, "status": exception.status_code},
                status=exception.status_code,
            )
        return None
