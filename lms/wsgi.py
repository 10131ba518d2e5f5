import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
application = get_wsgi_application()

# A bucket that does not exist or refuses the credentials stops the web server here, with the reason,
# rather than answering 500 on the first upload.
from lms.storage import require_storage  # noqa: E402

require_storage()
