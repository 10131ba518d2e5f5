"""The project's wiring, above every app: the URL tree (`config.urls`, `config.api_urls`) and the demo
(`manage.py seed_demo`). `lms` is the floor and imports no app; this package may import them all.
Settings, the Celery app and the WSGI entry stay in `lms` because they name apps only as strings
(deployments point DJANGO_SETTINGS_MODULE, `celery -A lms` and `gunicorn lms.wsgi` at them);
`.importlinter` proves that they import none."""
