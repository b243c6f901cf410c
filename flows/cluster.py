"""The night on a Dask cluster (集群运行): linkage and findings in parts, one Prefect task
per part, run by `prefect_dask.DaskTaskRunner`.

`pensionlink run --dask tcp://scheduler:8786` uses a running cluster; `--workers N` starts
a local one (N worker processes, one thread each) for the run and stops it after. The
parts are `matching.partitioned` and `findings.partitioned`: plain functions, the same
results as one process. Only they go to the workers; reading, checks, publishing and the
reports stay in the process that runs the flow (they read and write the drop folder and
the database). Each part's frames travel as polars frames, which pickle as their own
columnar serialisation (no Python object per row).

Nothing here imports Dask until a runner is asked for: a run without `--dask`/`--workers`
never loads it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

from pensionlink.findings.partitioned import night_findings_partitioned
from pensionlink.matching.partitioned import Run, link_night_partitioned
from prefect import task
from prefect.cache_policies import NO_CACHE

__all__ = [
    "ClusterMissing",
    "api_for_workers",
    "dask_task_runner",
    "partitioned_stages",
    "run_as_tasks",
]

log = logging.getLogger("pensionlink.flow")


class ClusterMissing(RuntimeError):
    """prefect-dask is not installed (the `dask` extra)."""


def dask_task_runner(address: str | None = None, workers: int | None = None) -> Any:
    """A `DaskTaskRunner` on the scheduler at `address`, or on a local cluster of
    `workers` processes with one thread each (started and stopped with the flow run)."""
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError:
        raise ClusterMissing(
            "未安装 Dask 组件 prefect-dask is not installed: pip install 'pensionlink[dask]'"
        ) from None
    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": workers or 1,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": ":0",  # any free port: 8787 may be another user's
        }
    )


@contextlib.contextmanager
def api_for_workers() -> Iterator[None]:
    """The Prefect API the workers report their tasks to is the flow's own: the configured
    server (`PREFECT_API_URL`), else the temporary one, started here once for the flow
    and every worker (without it each worker process would start a temporary API of its
    own, ≈ 15 s each, and record its tasks where nobody sees them). Prefect stops it when
    the process exits."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value():
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start()
    with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
        yield


def run_as_tasks(name: str) -> Run:
    """A `Run` that submits each part as a Prefect task named `name k/n` to the flow's
    task runner (the Dask cluster) and waits for all of them, results in part order.
    Called inside the flow run (never inside a task: a task's tasks would not reach the
    flow's runner)."""

    def run(fn: Callable[..., Any], calls: Sequence[tuple]) -> list:
        part = task(fn, name=name, cache_policy=NO_CACHE)
        futures = [
            part.with_options(task_run_name=f"{name} {k}/{len(calls)}").submit(*args)
            for k, args in enumerate(calls, start=1)
        ]
        return [future.result() for future in futures]

    return run


def partitioned_stages(parts: int) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The flow's link and findings stages, each in `parts` parts on the cluster."""
    log.info("分区运行 linkage and findings in %d parts on the Dask cluster", parts)
    link = partial(link_night_partitioned, parts=parts, run=run_as_tasks("人员比对分区 link part"))
    find = partial(
        night_findings_partitioned, parts=parts, run=run_as_tasks("核查分区 findings part")
    )
    return link, find
