"""One page of a long table that a person reads on a phone: 50 rows, the page number parsed strictly."""

from django.core.paginator import Page, Paginator
from django.utils.translation import gettext as _

from lms.errors import NotFound

ROWS_PER_PAGE = 50


def page_of(rows, request, *, per_page: int = ROWS_PER_PAGE) -> Page:
    """The page `?page=` names (the first when absent); a malformed or missing page answers "not found"."""
    raw = request.GET.get("page", "1")
    number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 7 else 0
    paginator = Paginator(rows, per_page)
    if not 1 <= number <= paginator.num_pages:
        raise NotFound(_("There is no such page of this table."), code="no_such_page")
    return paginator.page(number)


def query_without_page(request) -> str:
    """The query string of the request without its page, for the pager's links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
