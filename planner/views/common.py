"""Small pieces every view uses: the request's DB session, access checks, template filters."""
from __future__ import annotations

from flask import abort, current_app, g
from flask_login import current_user
from sqlalchemy.orm import Session

from planner import localtime
from planner.access import AccessDenied, can


def db_session() -> Session:
    """The request's (or app context's) session; closed at teardown."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["planner_db"].session()
    return g.db_session


MAX_ID = 2**31 - 1


def small_int(value) -> int | None:
    """An id or count typed in a form or a query string: ASCII digits only, within a database integer."""
    text = str(value if value is not None else "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def require_permission(permission: str) -> None:
    """Abort with 403 unless the logged-in user's role grants `permission`."""
    if not current_user.is_authenticated or not can(current_user, permission):
        abort(403)


def run_action(action, errors: tuple[type[Exception], ...], success) -> bool:
    """Run one operation for a form post: commit and flash `success`, or roll back and flash its error.

    `success` is the message, or a function returning it (called after the operation, e.g. for a new status).
    """
    from flask import flash

    session = db_session()
    try:
        action(session)
    except errors as exc:
        session.rollback()
        flash(str(exc), "error")
        return False
    session.commit()
    flash(success() if callable(success) else success, "success")
    return True


def register_filters(app) -> None:
    """Jinja filters for local dates and times."""
    app.jinja_env.filters.update(
        date=localtime.fmt_date,
        datetime=localtime.fmt_datetime,
        time=localtime.fmt_time,
        duration=localtime.fmt_duration,
        weekday=localtime.weekday_label,
        weekday_dt=lambda value: localtime.weekday_label(localtime.to_local(value).date()),
    )

    @app.context_processor
    def _inject():
        from planner.channels import CHANNEL_LABELS

        from planner.access import may_review

        return {"can": lambda p: current_user.is_authenticated and can(current_user, p),
                "may_review": lambda plan: current_user.is_authenticated and may_review(db_session(), current_user,
                                                                                        plan),
                "CHANNEL_LABELS": CHANNEL_LABELS}


__all__ = ["AccessDenied", "db_session", "register_filters", "require_permission"]
