"""The offline machine's environment: no usage analytics from Prefect or Great
Expectations, and a quiet Prefect. Set by the CLI's `main()` and by the validator before
it first imports GX; never at import time."""

from __future__ import annotations

import logging
import os

__all__ = ["OFFLINE_ENVIRONMENT", "go_offline", "quiet_gx_loggers"]

OFFLINE_ENVIRONMENT = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "GX_ANALYTICS_ENABLED": "False",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    # The temporary API needs ~15 s on two cores; 20 s (the default) fails on a busy night.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
}


def go_offline() -> None:
    """Set each variable of `OFFLINE_ENVIRONMENT` the environment does not set already.
    Must run before Prefect or GX is imported (they read it then)."""
    for name, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


def quiet_gx_loggers() -> None:
    """GX logs at INFO while it is imported, and some of its modules pin their own logger
    at INFO (data_context.types.base): raise them to WARNING. Call before importing GX
    (for the parent logger) and again after (for the pinned ones)."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("great_expectations."):
            logger = logging.getLogger(name)
            if logging.NOTSET < logger.level < logging.WARNING:
                logger.setLevel(logging.WARNING)
