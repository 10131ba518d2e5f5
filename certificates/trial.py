"""Test-render a certificate template with sample data, within a time and page limit.

WeasyPrint cannot be interrupted inside a thread, so the trial runs in a forked child that is
killed when it overruns: a template that lays out for minutes costs the web process only the
limit, and the worker pipeline never sees it.
"""

import multiprocessing

from django.conf import settings
from django.utils.translation import gettext as _

from certificates import rendering


class TemplateRefused(rendering.RenderError):
    """The template failed its trial render; the message says why, for the person editing it."""


WARM_UP_SECONDS = 60  # loading WeasyPrint and the fonts in a cold process, not counted against the template


def _child(connection, template_html: str, css: str, values: dict, max_pages: int) -> None:
    try:
        rendering.warm_up()
        connection.send(("ready", None))
        pdf, _refused = rendering.render_pdf(template_html=template_html, css=css, values=values, max_pages=max_pages)
        connection.send(("ok", pdf))
    except rendering.TooManyPages as error:
        connection.send(("pages", error.pages))
    except Exception as error:  # RenderError and anything else: the message goes back to the editor
        connection.send(("error", str(error)))
    finally:
        connection.close()


def trial_render(*, template_html: str, css: str, values: dict, seconds: float | None = None) -> bytes:
    """The sample PDF; raises TemplateRefused when the render fails, runs over, or gives more than one page."""
    seconds = settings.CERTIFICATES_TEMPLATE_RENDER_SECONDS if seconds is None else seconds
    max_pages = settings.CERTIFICATES_MAX_PAGES
    receiver, sender = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.get_context("fork").Process(
        target=_child, args=(sender, template_html, css, values, max_pages), daemon=True
    )
    process.start()
    sender.close()
    try:
        if not receiver.poll(WARM_UP_SECONDS):
            raise TemplateRefused(_("The renderer did not start; tell the operator."))
        kind, value = receiver.recv()
        if kind != "ready":
            raise TemplateRefused(_("The template could not be rendered: %(error)s") % {"error": value})
        if not receiver.poll(seconds):
            raise TemplateRefused(
                _("Rendering the template took longer than %(seconds)s seconds; simplify it.") % {"seconds": seconds}
            )
        try:
            kind, value = receiver.recv()
        except EOFError:
            raise TemplateRefused(_("Rendering the template stopped without a result.")) from None
    finally:
        if process.is_alive():
            process.kill()
        process.join(timeout=5)
        receiver.close()
    if kind == "pages":
        raise TemplateRefused(
            _("The certificate would have %(pages)d pages; it must fit on %(limit)d.")
            % {"pages": value, "limit": max_pages}
        )
    if kind == "error":
        raise TemplateRefused(_("The template could not be rendered: %(error)s") % {"error": value})
    return value


def sample_values(*, issuer_name: str, short_name: str = "", seal: str = "", course_title: str = "") -> dict:
    """Sample data in the district's own name; a seal is shown under a "specimen" mark (a preview is not signed)."""
    values = rendering.certificate_values(
        course_title=course_title or "社区规划师培育课程",
        **{**rendering.SAMPLE, "issuing_body": issuer_name},
        issuer_short_name=short_name,
        seal=seal,
    )
    values["specimen"] = _("SPECIMEN · not signed")
    return values
