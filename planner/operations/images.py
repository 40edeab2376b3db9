"""Pictures of a message version: upload (checked by content, re-encoded), remove, store on disk by SHA-256.

Images are public content, like the body: they belong to a version, and once that version is submitted
or approved, adding or removing one makes a new draft version (with the other images copied) that needs
approval; the approved version keeps its pictures. Files live in IMAGE_DIR (under the instance folder),
named `<sha256>.<ext>`, 0600, written atomically; one file serves every version that uses it.
"""
from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from planner.models import Message, MessageImage, MessageVersion, User, VersionStatus
from planner.operations.audit import record
from planner.operations.message_form import ContentError
from planner.operations.plan_state import message_locked_reason
from planner.post_images import MAX_IMAGES, CleanImage, ImageProblem, alt_problem, clean_image


def image_path(directory: str | Path, image: MessageImage) -> Path:
    """Where the file of `image` lives."""
    return Path(directory) / f"{image.sha256}.{image.ext}"


def read_image(directory: str | Path, image: MessageImage) -> bytes:
    """The stored bytes of `image` (OSError when the file is missing)."""
    return image_path(directory, image).read_bytes()


def add_image(session: Session, message: Message, user: User, raw: bytes, alt: str, *, directory: str | Path,
              now: dt.datetime) -> MessageImage:
    """Add a picture to the message's working version (a new draft if that one was submitted or approved).

    Raises ContentError ({"image": …} or {"alt_text": …}) and writes nothing when the file or the
    description cannot be used.
    """
    _refuse(message_locked_reason(message, "thêm ảnh"))
    errors = {}
    problem = alt_problem(alt)
    if problem:
        errors["alt_text"] = problem
    if len(message.latest.images) >= MAX_IMAGES:
        errors["image"] = f"Mỗi tin có tối đa {MAX_IMAGES} ảnh."
    clean = None
    if "image" not in errors:
        try:
            clean = clean_image(raw)
        except ImageProblem as exc:
            errors["image"] = str(exc)
    if errors:
        raise ContentError(errors)
    version = _working_version(session, message, user, now=now)
    store_file(directory, clean)
    image = MessageImage(sha256=clean.sha256, mime=clean.mime, size_bytes=len(clean.data), width=clean.width,
                         height=clean.height, alt_text=" ".join(alt.split()), created_at=now,
                         position=max((i.position for i in version.images), default=0) + 1)
    version.images.append(image)
    session.flush()
    record(session, user=user, action="message.image_add", entity=version, to_state=version.status,
           image_id=image.id, sha256=clean.sha256)
    return image


def remove_image(session: Session, message: Message, image_id: int, user: User, *, now: dt.datetime) -> MessageVersion:
    """Take a picture off the working version (in a new draft when that one was submitted or approved)."""
    _refuse(message_locked_reason(message, "bỏ ảnh"))
    latest = message.latest
    image = next((i for i in latest.images if i.id == image_id), None)
    if image is None:
        raise ContentError({"image": "Ảnh không thuộc phiên bản đang sửa của tin này."})
    position, sha = image.position, image.sha256
    version = _working_version(session, message, user, now=now)
    version.images.remove(next(i for i in version.images if i.position == position))
    session.flush()
    record(session, user=user, action="message.image_remove", entity=version, to_state=version.status, sha256=sha)
    return version


def copy_images(source: MessageVersion, target: MessageVersion) -> None:
    """Give a new version the pictures of the one it was made from (same files, same order and alt text)."""
    for image in source.images:
        target.images.append(MessageImage(sha256=image.sha256, mime=image.mime, size_bytes=image.size_bytes,
                                          width=image.width, height=image.height, alt_text=image.alt_text,
                                          position=image.position, created_at=image.created_at))


def image_keys(version: MessageVersion) -> list[tuple[str, str]]:
    """What a version's pictures are in public (file and description), to compare two versions."""
    return [(i.sha256, i.alt_text) for i in version.images]


def _working_version(session: Session, message: Message, user: User, *, now: dt.datetime) -> MessageVersion:
    """The latest version if it is still a draft; otherwise a new draft copied from it (images too)."""
    latest = message.latest
    if latest.status in (VersionStatus.DRAFT, VersionStatus.CHANGES_REQUESTED):
        latest.status = VersionStatus.DRAFT
        return latest
    with session.no_autoflush:      # the new version is complete before anything is written
        version = MessageVersion(message=message, number=latest.number + 1, status=VersionStatus.DRAFT,
                                 created_by_id=user.id if user else None, created_at=now)
        for name in ("title", "body_md", "headline", "link", "channel", "valid_from", "valid_to", "weekdays",
                     "post_at", "audio_seconds"):
            setattr(version, name, getattr(latest, name))
        version.audiences = list(latest.audiences)
        session.add(version)
        copy_images(latest, version)
    session.flush()
    record(session, user=user, action="message.new_version", entity=version, to_state=version.status,
           previous_version=latest.number, changed=["images"])
    return version


def store_file(directory: str | Path, clean: CleanImage) -> Path:
    """Write a cleaned image once (0600, atomically) as `<sha256>.<ext>`; the same content is the same name,
    so an existing file is kept (and shared by every version that uses it)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path, data = directory / f"{clean.sha256}.{clean.ext}", clean.data
    if path.exists():
        return path
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")    # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _refuse(reason: str | None) -> None:
    if reason:
        raise ContentError({"form": reason})
