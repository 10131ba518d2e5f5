# The fault scripts start workers exactly as the certificate tests do: same queue fixture.
from tests.certificates.conftest import render_queue  # noqa: F401
