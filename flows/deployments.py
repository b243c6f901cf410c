"""The nightly deployment and its schedule, kept beside the flows (not inside them).

`pensionlink serve` calls `serve_nightly`: one long-running process that registers the
deployment `pensionlink-drop-root/nightly` with the Prefect API, creates a run on the cron
schedule and runs it in-process. For a Prefect server with a work pool instead, see
`prefect.yaml` at the repository root and the README's Operations section.
"""

from __future__ import annotations

from pathlib import Path

from pensionlink.flows.drop_root import nightly_from_drop_root
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

__all__ = ["DEFAULT_CRON", "DEPLOYMENT_NAME", "nightly_deployment", "serve_nightly"]

DEPLOYMENT_NAME = "nightly"
DEFAULT_CRON = "0 2 * * *"  # 02:00 each night, after the agencies' drops
TIMEZONE = "Asia/Shanghai"


def nightly_deployment(
    drop_root: Path, db: Path, cron: str = DEFAULT_CRON, quiet_seconds: float = 300
) -> RunnerDeployment:
    """The deployment: the drop-root flow on a cron schedule (Beijing time). No Prefect
    concurrency limit: a run killed hard would hold its slot; overlapping runs are safe
    anyway (writers take turns on the database's lock, a night published is skipped)."""
    return nightly_from_drop_root.to_deployment(
        name=DEPLOYMENT_NAME,
        schedule=Cron(cron, timezone=TIMEZONE),
        parameters={
            "drop_root": str(Path(drop_root).resolve()),
            "db": str(Path(db).resolve()),
            "quiet_seconds": quiet_seconds,
        },
        description="城乡居保夜间数据比对：处理数据交换目录中最新一晚的数据",
        tags=["pensionlink"],
    )


def serve_nightly(
    drop_root: Path, db: Path, cron: str = DEFAULT_CRON, quiet_seconds: float = 300
) -> None:
    """Serve the deployment until stopped (Ctrl-C)."""
    from prefect import serve

    serve(nightly_deployment(drop_root, db, cron, quiet_seconds))
