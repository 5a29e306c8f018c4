"""Third-party output kept out of the user's terminal unless `-v`: a `hawk` command's stderr carries our lines.

Ray logs its own notices at INFO/WARNING on the driver ("Started a local Ray instance", the token-auth notice)
and gRPC's C core prints absl lines such as a GOAWAY from a server that stopped; none is about the user's
command. Both libraries read their settings when they start, so `quiet_third_party` runs before anything imports
them; variables the user set explicitly are kept. With `-v` everything is left at the libraries' defaults.
Ray workers' own output never reaches the driver's terminal either way (`ray.init(log_to_driver=False)` in
controller/farm.py); it stays in the session's log files.
"""

from __future__ import annotations

import logging
import os

# Environment read by the libraries when they start (inherited by the Ray cluster and agents this command starts).
QUIET_ENV = {
    "GRPC_VERBOSITY": "NONE",       # gRPC C core (absl) log lines: GOAWAY, keepalive, DNS, fork notices
    "GRPC_TRACE": "",               # no tracers
    "RAY_LOGGER_LEVEL": "error",    # the "ray" Python logger of the driver and the processes it starts
}
# Python loggers of libraries whose INFO/WARNING records are not the user's business at the default verbosity.
QUIET_LOGGERS = ("ray", "grpc", "absl", "urllib3", "httpx", "httpcore", "asyncio", "filelock")


def quiet_third_party(verbosity: int) -> None:
    """Silence Ray, gRPC and friends at verbosity 0 (before they are imported); leave them alone with -v."""
    if verbosity > 0:
        return
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
