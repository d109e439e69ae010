"""How much memory this process may still use, as far as the system says.

For refusing, in one line and before the work starts, a job that would run out of memory
part way (``fit`` with large layers builds a graph of hundreds of millions of Values).

>>> available = available_memory()
>>> available is None or available > 0
True
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ['available_memory']


def available_memory() -> int | None:
    """Bytes the process can still allocate, or None where the system does not say.

    The least of: the memory the kernel reports available (``MemAvailable`` of
    /proc/meminfo), the address-space limit (``ulimit -v``) less what the process already
    maps, and a container's limit (cgroup v2 ``memory.max`` less ``memory.current``).
    """
    limits = []
    try:
        with open('/proc/meminfo', encoding='ascii') as meminfo:
            for line in meminfo:
                if line.startswith('MemAvailable:'):
                    limits.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            with open('/proc/self/statm', encoding='ascii') as statm:
                mapped = int(statm.read().split()[0]) * os.sysconf('SC_PAGE_SIZE')
            limits.append(soft - mapped)
    except (ImportError, OSError, ValueError, IndexError):
        pass
    try:
        maximum = Path('/sys/fs/cgroup/memory.max').read_text(encoding='ascii').strip()
        if maximum != 'max':
            current = int(Path('/sys/fs/cgroup/memory.current').read_text(encoding='ascii'))
            limits.append(int(maximum) - current)
    except (OSError, ValueError):
        pass
    return max(min(limits), 1) if limits else None
