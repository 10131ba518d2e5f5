"""`{% idempotent_action url %}`: a form's action carrying a fresh idempotency key (lms.idempotency).

A create sent twice from one rendering of the form (a double tap, a resend after a lost answer, the field
outbox) is carried out once.
"""

import uuid

from django import template
from django.http import QueryDict

from lms.idempotency import QUERY_FIELD

register = template.Library()


@register.simple_tag(takes_context=True)
def idempotent_action(context, url: str = "") -> str:
    request = context["request"]
    if url:
        path, _sep, query = url.partition("?")
        params = QueryDict(query, mutable=True)
    else:
        path, params = request.path, request.GET.copy()
    params[QUERY_FIELD] = str(uuid.uuid4())
    return f"{path}?{params.urlencode()}"
