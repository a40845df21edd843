"""How many cores this process may use: what ``--jobs 0`` means and how many bands a large sheet is cut into."""
from __future__ import annotations

import os


def available_cores() -> int:
    """The cores this process may run on (a container or taskset may allow fewer than the machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1
