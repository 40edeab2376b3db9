"""Message pages: write with live preview, versions, submit and review."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required


from planner import localtime
from planner.access import can, may_review, owns_plan
from planner.channels import get_channel
from planner.db import utcnow
from planner.markup import render_markdown
from planner.post_images import MAX_IMAGES
from planner.public_fields import format_post_at, format_weekdays
from planner.models import Message, MessageVersion
from planner.operations import content
from planner.operations.concurrency import StaleEdit, expect_version
from planner.operations.schedule import targets_in
from planner.views.common import db_session, require_permission, run_action, small_int
from planner.views import versions
from planner.views.plans import load_plan

bp = Blueprint("messages", __name__)


def load_message(message_id: int) -> Message:
    """The message if the current user may see its plan, else 404."""
    message = db_session().get(Message, message_id)
    if message is None:
        abort(404)
    load_plan(message.plan_id)
    return message


def require_owned(plan) -> None:
    """Content of a plan from a unit above the user's is read-only for them."""
    if not owns_plan(current_user, plan):
        abort(403)


@bp.route("/plans/<int:plan_id>/messages/new", methods=["GET", "POST"])
@login_required
def new(plan_id: int):
    plan = load_plan(plan_id)
    require_permission("message.edit")
    require_owned(plan)
    form, errors = _posted_form(), {}
    if request.method == "POST":
        session = db_session()
        try:
            message = content.create_message(session, plan, current_user, form, now=utcnow())
        except content.ContentError as exc:
            errors = exc.errors
        else:
            session.commit()
            flash("Đã lưu bản nháp.", "success")
            return redirect(url_for("messages.show", message_id=message.id))
    return render_template("pages/messages/edit.html", plan=plan, message=None, form=form, errors=errors), \
        (400 if errors else 200)


@bp.route("/messages/<int:message_id>/edit", methods=["GET", "POST"])
@login_required
def edit(message_id: int):
    message = load_message(message_id)
    require_permission("message.edit")
    require_owned(message.plan)
    form = _posted_form() if request.method == "POST" else content.form_values(message)
    errors, conflict = {}, None
    if request.method == "POST":
        session = db_session()
        try:
            expect_version(message, form.get("row_version"), "Tin bài")     # saved by someone since this form
            version = content.edit_message(session, message, current_user, form, now=utcnow())
        except StaleEdit as exc:
            errors, conflict = {"form": str(exc)}, versions.message_conflict(message, exc)
        except content.ContentError as exc:
            errors = exc.errors
        else:
            session.commit()
            flash(f"Đã lưu phiên bản {version.number}.", "success")
            return redirect(url_for("messages.show", message_id=message.id))
    return render_template("pages/messages/edit.html", plan=message.plan, message=message, form=form,
                           errors=errors, conflict=conflict), (409 if conflict else 400 if errors else 200)


def _preview_html(body: str) -> str:
    """The public headline, the sanitised body and the link, as the public will see them."""
    from markupsafe import escape

    headline = " ".join(request.form.get("headline", "").split())
    link = request.form.get("link", "").strip()
    html = render_markdown(body, heading_offset=1)
    if headline:
        html = f'<p class="preview-headline"><strong>{escape(headline)}</strong></p>' + html
    if link and content.link_problem(link) is None:
        html += f'<p class="preview-link">{escape(link)}</p>'
    return html


def _posted_form() -> dict:
    """The posted fields; the audience checkboxes as a list."""
    form = request.form.to_dict()
    form["audience_ids"] = request.form.getlist("audience_ids")
    return form


@bp.post("/messages/preview")
@login_required
def preview():
    """Live preview: Markdown → sanitised HTML, plus the channel's checks."""
    require_permission("message.edit")
    text = request.form.get("body_md", "")
    problem = content.body_problem(text)
    if problem:
        return jsonify({"html": "", "problems": [problem]})
    result = {"html": _preview_html(text), "problems": []}
    channel = request.form.get("channel", "")
    try:
        adapter = get_channel(channel)
    except ValueError:
        return jsonify(result)
    from planner.channels import content_item

    pictures = _preview_images()
    if pictures and not adapter.posts_images:    # shown only where they are really posted
        result["problems"].append(f"Kênh {adapter.label} không đăng kèm ảnh; {len(pictures)} ảnh của tin sẽ không "
                                  "được gửi (ảnh chỉ dùng cho Fanpage Facebook).")
        pictures = []
    item = content_item(request.form.get("title", ""), text, headline=request.form.get("headline"),
                        link=request.form.get("link"), images=tuple(p for p, _ in pictures))
    result["problems"] += adapter.validate(item)
    if adapter.is_online:  # an online post is previewed as exactly the text the platform will receive
        result["post"] = adapter.render(item)
        result.update(post_extras(channel, item, [url for _, url in pictures]))
    return jsonify(result)


def _preview_images() -> list:
    """The pictures of the message being edited (its working version), as (PostImage, url) pairs."""
    from planner.channels import PostImage

    raw = request.form.get("message_id", "")
    if not raw.isdigit():
        return []
    message = load_message(small_int(raw) or 0)
    return [(PostImage(i.sha256, i.mime, i.alt_text), url_for("message_images.serve", message_id=message.id,
                                                               image_id=i.id)) for i in message.latest.images]


def post_extras(channel: str, item, urls: list[str]) -> dict:
    """What the post shows beside its text: its pictures, and Facebook's link card (drawn by Facebook from the
    link; we never fetch the URL, so the card shows the domain and the headline) — none when there are pictures."""
    from urllib.parse import urlsplit

    out: dict = {"images": [{"url": url, "alt": image.alt} for image, url in zip(item.images, urls)]}
    if channel == "fanpage" and item.link and content.link_problem(item.link) is None:
        if item.images:
            out["link_note"] = ("Bài có ảnh nên Facebook không hiện thẻ liên kết; liên kết nằm ở cuối nội dung "
                                "bài đăng.")
        else:
            out["card"] = {"domain": (urlsplit(item.link).hostname or "").removeprefix("www."),
                           "title": item.headline or item.title, "url": item.link}
    return out


@bp.get("/messages/<int:message_id>")
@login_required
def show(message_id: int):
    message = load_message(message_id)
    version_no = small_int(request.args.get("v"))
    version = next((v for v in message.versions if v.number == version_no), message.latest)
    session = db_session()
    targets = []
    if message.approved is not None and can(current_user, "schedule.edit"):
        channel = message.approved.channel    # where the approved version may go, not the working copy
        targets = targets_in(session, current_user.unit, channel) if get_channel(channel).is_online else []
    return render_template("pages/messages/show.html", message=message, version=version,
                           html=render_markdown(version.body_md, heading_offset=1), targets=targets,
                           weekdays=format_weekdays(version.weekdays), post_at=format_post_at(version.post_times),
                           changes=content.changes_since_approved(version), quotas=_quotas(session, targets),
                           change_request=content.open_change_request(message), max_images=MAX_IMAGES)


@bp.post("/messages/<int:message_id>/versions/<int:version_id>/submit")
@login_required
def submit(message_id: int, version_id: int):
    message = load_message(message_id)
    require_permission("message.edit")
    require_owned(message.plan)
    version = _version_of(message, version_id)
    run_action(lambda s: content.submit_version(s, version, current_user, now=utcnow()), (content.ContentError,),
               "Đã gửi duyệt.")
    return redirect(url_for("messages.show", message_id=message.id))


@bp.post("/messages/<int:message_id>/versions/<int:version_id>/review")
@login_required
def review(message_id: int, version_id: int):
    message = load_message(message_id)
    require_permission("message.review")
    if not may_review(db_session(), current_user, message.plan):
        abort(403)
    version = _version_of(message, version_id)
    approve = request.form.get("decision") == "approve"
    run_action(lambda s: content.review_version(s, version, current_user, approve=approve,
                                                note=request.form.get("note", ""), now=utcnow()),
               (content.ContentError,), "Đã duyệt." if approve else "Đã yêu cầu sửa.")
    return redirect(url_for("messages.show", message_id=message.id))


def _quotas(session, targets) -> dict:
    """Zalo OA targets: the daily broadcast quota of the next 7 days, shown before scheduling."""
    from planner.operations.placement import daily_quota

    today = localtime.today(utcnow())
    return {t.id: q for t in targets if (q := daily_quota(session, t, today=today, settings=current_app.config))}


def _version_of(message: Message, version_id: int) -> MessageVersion:
    version = db_session().get(MessageVersion, version_id)
    if version is None or version.message_id != message.id:
        abort(404)
    return version



