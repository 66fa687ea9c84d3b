"""The operators' web console: server-rendered pages under ``/console``, served by central.

Pages call the same services as the API (``gridwatch_central.services``, the case and review
services, ``AuthService``, the metrics) with the viewer's scope and actor, so a page shows and
offers exactly what the API would answer the same person. One module per screen in
``pages/``; templates in ``templates/``; the console's own script and styles in ``static/``;
the pinned browser libraries in ``vendor/`` (npm, installed at install time).
"""

from gridwatch_central.web.console import mount_console

__all__ = ["mount_console"]
