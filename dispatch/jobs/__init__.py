"""Long work as jobs: planning jobs in a child process or on Celery."""
