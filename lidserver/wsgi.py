"""WSGI entry point for gunicorn: ``gunicorn lidserver.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lidserver.settings")
application = get_wsgi_application()
