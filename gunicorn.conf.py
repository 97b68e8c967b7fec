"""gunicorn settings: those shipped with the package (see directory/web/gunicorn_conf.py).

From a checkout: `gunicorn -c gunicorn.conf.py "directory:create_app()"`; from an installed
wheel: `gunicorn -c python:directory.web.gunicorn_conf "directory:create_app()"`.
"""

from directory.web.gunicorn_conf import *  # noqa: F403  # why: gunicorn reads module names
