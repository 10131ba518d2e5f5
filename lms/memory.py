"""A memory ceiling for one piece of work inside a long-lived worker process.

A pool process serves certificates, notifications and previews one after another; a picture that
decodes to a gigabyte must fail its own task, not take the process (and its neighbours' memory)
with it. `memory_limit` lowers the process's address-space limit (RLIMIT_AS) to what it uses now
plus `extra` bytes for the duration of the block, and restores it after: an allocation beyond it
raises MemoryError in that task only.
"""

import contextlib
import os
import resource


def address_space_bytes() -> int:
    """The process's current virtual size (the quantity RLIMIT_AS limits)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


@contextlib.contextmanager
def memory_limit(*, extra: int):
    """Run the block with at most `extra` more bytes of address space than the process holds now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = address_space_bytes() + extra
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft != resource.RLIM_INFINITY:
        limit = min(limit, soft)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
