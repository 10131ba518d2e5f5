from django import template

from certificates import selectors

register = template.Library()


@register.simple_tag
def issued_certificate(enrolment):
    """The trainee's issued certificate for this enrolment, or None (keeps courses free of certificates)."""
    return selectors.issued_certificate_of(enrolment=enrolment) if enrolment else None
