"""A test-only app: an event consumer that a real Celery worker process can load."""
