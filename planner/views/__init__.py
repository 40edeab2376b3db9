"""Thin blueprints: pages and the JSON API. Forms are parsed next to their view."""
from __future__ import annotations

from flask import Flask

from planner.views.errors import ERROR_TEXT  # noqa: F401 (re-exported)


def register_views(app: Flask) -> None:
    """Register every blueprint, filters and the error pages."""
    from planner.views import (admin_accounts, admin_schedules, admin_units, admin_users, admin_villages, api,
                               auth, confirm, deliveries, feeds, health, message_images, messages, notifications, occurrences,
                               plan_admin, plans, printing,
                               reports, results, roster, roster_batches, schedule, supervision)
    from planner.views.common import register_filters

    for module in (auth, plans, plan_admin, messages, message_images, schedule, occurrences, deliveries, roster, roster_batches, confirm, feeds, printing,
                   reports, supervision, results, health, admin_users, admin_units, admin_villages,
                   admin_accounts, admin_schedules, notifications, api):
        app.register_blueprint(module.bp)
    app.extensions["csrf"].exempt(api.bp)
    register_filters(app)
    from planner.views import once, versions

    once.register(app)
    versions.register(app)
    app.url_value_preprocessor(_ids_in_range)
    from planner.views.errors import register_errors
    from planner.views.guards import register_guards
    from planner.views.headers import register_headers

    register_errors(app)
    register_guards(app)
    register_headers(app)


def _ids_in_range(_endpoint, values) -> None:
    """Ids in URLs beyond a database integer can name nothing: 404 instead of a database overflow."""
    from flask import abort

    from planner.views.common import MAX_ID

    for value in (values or {}).values():
        if isinstance(value, int) and value > MAX_ID:
            abort(404)
