"""Keeping the compiled loop's memory in glibc's heap from one training step to the next.

glibc's malloc (the C library of most Linux systems) serves a block larger than its
*mmap threshold* from a mapping of its own, returned to the system when freed, and
gives back the free memory at the top of its heap once it passes its *trim
threshold*. Both start low (128 KiB and 256 KiB). Each time the process frees a mapped
block larger than the mmap threshold, glibc raises that threshold to the block's size
(at most 32 MiB on 64-bit systems) and the trim threshold to twice it.

The compiled loop (:class:`~dream_sklearn.nn._layer._CompiledLoop`) allocates and frees
about 6 MB of large blocks a training step at batch 32 x 50 steps (the per-step stacks
its backward pass reads). In a new process, where nothing that large had been freed
before, that memory went back to the system after every step and was faulted in again
at the next: about 2,000 page faults a step, and the step took 1.4x ``nn.GRU``'s; with
the thresholds raised, none, and 0.93x-0.99x (README, "Training speed").
:func:`raise_malloc_thresholds` frees one block of :data:`BLOCK_BYTES` once, so that
glibc raises both thresholds as it does for any program that frees such a block. The
cost: the process may keep up to twice that of freed memory in its heap for later
use, where it would have returned it. Where the thresholds were set by hand
(``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_`` or ``GLIBC_TUNABLES``), glibc
no longer moves them, and the freed block changes nothing; on any other C library
nothing is done.
"""

from __future__ import annotations

import functools
import os

import torch

# Below glibc's ceiling for the raised mmap threshold (32 MiB on 64-bit systems, the
# block's own header included), and above the step's stacks at the sizes the README
# times (a larger block is mapped of its own whatever the threshold).
BLOCK_BYTES = 30 * 2**20


def _is_glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (AttributeError, ValueError, OSError):  # (no confstr, or no such name)
        return False


@functools.cache
def raise_malloc_thresholds() -> bool:
    """Free one mapped block of :data:`BLOCK_BYTES` under glibc, once a process.

    Returns whether it did (False on any other C library). Torch's CPU allocator
    takes its blocks from ``malloc``; the block is never written, so no page of it
    is touched.
    """
    if not _is_glibc():
        return False
    block = torch.empty(BLOCK_BYTES, dtype=torch.uint8)
    del block
    return True
