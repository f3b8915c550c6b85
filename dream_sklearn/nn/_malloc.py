"""Keeping large blocks in glibc's heap: the compiled loop's from one training step to
the next, and the online row's buffers from one growth event to the next.

glibc's malloc (the C library of most Linux systems) serves a block larger than its
*mmap threshold* from a mapping of its own, returned to the system when freed, and
gives back the free memory at the top of its heap once it passes its *trim
threshold*. Both start at 128 KiB. Each time the process frees a mapped
block larger than the mmap threshold, glibc raises that threshold to the block's size
(at most 32 MiB on 64-bit systems, 16 MiB on 32-bit ones) and the trim threshold to
twice it.

The compiled loop (:class:`~dream_sklearn.nn._layer._CompiledLoop`) allocates and frees
about 6 MB of large blocks a training step at batch 32 x 50 steps (the per-step stacks
its backward pass reads). In a new process, where nothing that large had been freed
before, that memory went back to the system after every step and was faulted in again
at the next: about 2,000 page faults a step, and the step took 1.4x ``nn.GRU``'s; with
the thresholds raised, 11-15 faults a step and 0.95x-0.97x (README and
docs/results.md, "Training speed").
:func:`raise_malloc_thresholds` frees one block of :data:`BLOCK_BYTES` once, so that
glibc raises both thresholds, as it does for any program that frees such a block.
The online estimators' compiled row calls it too, once its float buffer passes 1 MiB
(``online/_compiled.py``, ``_HEAP_FROM``: about 100 one-hot categories or more): on
wide rows each new category lays that buffer out again a little larger, and each was
mapped and faulted in anew (docs/online.md, "Round 46: a growth event's copies").

That is a change to the whole process's allocator, not to the loop's alone: from then
on every block of 128 KiB to 30 MiB, the package's or not (NumPy arrays, other
tensors), comes from glibc's heap, and memory freed below the heap's top stays with
the process for later blocks, where it would have gone back to the system. To keep
glibc's starting thresholds, set one before Python starts (for instance
``MALLOC_MMAP_THRESHOLD_=131072``, its starting value, or ``GLIBC_TUNABLES``): glibc
then never moves either, and the freed block changes nothing (nor does any other).
On any other C library, and on a 32-bit system (where glibc's ceiling, 16 MiB, is
below the block), nothing is done.
"""

from __future__ import annotations

import ctypes
import functools
import os

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

    Returns whether it did (False on any other C library, or on a 32-bit system).
    The block is taken from the C library's ``malloc`` itself (whatever torch's
    default device or mode, and never written: no page of it is touched), the
    allocator torch's CPU tensors come from.
    """
    if not _is_glibc() or ctypes.sizeof(ctypes.c_void_p) < 8:
        return False
    libc = ctypes.CDLL(None)  # (the process's own symbols: glibc's malloc and free)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.restype = None
    libc.free.argtypes = [ctypes.c_void_p]
    block = libc.malloc(BLOCK_BYTES)
    if block is None:  # (no memory for it: nothing raised)
        return False
    libc.free(block)
    return True
