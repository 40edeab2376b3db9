"""JSON API under /api/v1 (bearer tokens)."""
from __future__ import annotations

from flask import Blueprint, jsonify

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def json_error(status: int, code: str, message: str):
    """The API's error shape: {"error": {"code", "message"}} with a 4xx/5xx status."""
    return jsonify(error={"code": code, "message": message}), status
