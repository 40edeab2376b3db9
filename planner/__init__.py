"""planner: campaign planner and content scheduler. `create_app` is the only wiring point."""
from __future__ import annotations


def create_app(config: dict | None = None):
    """Build the Flask app: config → db → auth → views → cli. Nothing else."""
    from planner.app import build_app

    return build_app(config)
