"""Who is running a run (pid, host, process start) and whether that process is still alive."""

from __future__ import annotations

import os
import socket
from functools import lru_cache


@lru_cache(maxsize=1)
def host_name() -> str:
    return socket.gethostname()


def _is_pid(pid: object) -> bool:
    # pids come from the (shared) database: only a positive int is put in a path or os.kill
    return isinstance(pid, int) and not isinstance(pid, bool) and pid > 0


def process_start(pid: int) -> str | None:
    """The kernel's start tick of ``pid`` (Linux), so a reused pid is not taken for the old one."""
    if not _is_pid(pid):
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    # Field 22 (starttime); the command name in field 2 may hold spaces, so split after ')'.
    return stat.rsplit(b")", 1)[1].split()[19].decode()


def is_alive(pid: int, started: str | None) -> bool:
    """False only when ``pid`` is known dead; a value that is no pid is never taken for one."""
    if not _is_pid(pid):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if started is not None:
        now = process_start(pid)
        if now is not None and now != started:
            return False
    return True
