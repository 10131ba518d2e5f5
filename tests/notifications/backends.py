"""An outgoing-mail edge for tests: Django's locmem backend that refuses one domain, as a bouncing server would."""

import smtplib

from django.core.mail.backends.locmem import EmailBackend

REFUSED_DOMAIN = "@bounce.invalid"


class RefusingBackend(EmailBackend):
    def send_messages(self, messages):
        for message in messages:
            refused = [r for r in message.recipients() if r.endswith(REFUSED_DOMAIN)]
            if refused:
                raise smtplib.SMTPRecipientsRefused({r: (550, b"5.1.1 mailbox unavailable") for r in refused})
        return super().send_messages(messages)
