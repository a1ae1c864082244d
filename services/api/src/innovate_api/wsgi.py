"""WSGI entry point: ``gunicorn -c gunicorn.conf.py innovate_api.wsgi:app``."""

from innovate_api.app import create_app

app = create_app()
