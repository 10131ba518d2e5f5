# The Celery app lives in lms/celery.py. It is not imported here, so web workers load Celery
# only when they first queue a task (certificates/tasks.py imports it); `celery -A lms` finds it.
