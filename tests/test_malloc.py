"""The compiled loop's memory stays in glibc's heap between training steps
(``dream_sklearn/nn/_malloc.py``): in a new process, a training step faults no page in
again, where it faulted in its 6 MB of stacks at every step."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dream_sklearn.nn import _malloc

ROOT = Path(__file__).resolve().parents[1]

# The README's training step (batch 32 x 50 steps, 16 -> 64, rank 8, Adam, a linear
# head) in a new process: the minor page faults of each of 20 steps.
_CHILD = """
import json, resource, torch
from dream_sklearn.nn import DREAM, _malloc

torch.manual_seed(0)
model = DREAM(16, 64, rank=8)
model.compile_step = True
head = torch.nn.Linear(64, 1)
opt = torch.optim.Adam([*model.parameters(), *head.parameters()])
x, y = torch.randn(32, 50, 16), torch.randn(32, 1)
faults = []
for _ in range(20):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    opt.zero_grad()
    out, _ = model(x)
    torch.nn.functional.mse_loss(head(out[:, -1]), y).backward()
    opt.step()
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
raised = _malloc.raise_malloc_thresholds.cache_info().currsize
print(json.dumps({"faults": faults, "raised": raised}))
"""


def _run(code: str, *args: str) -> str:
    """The last line ``code`` prints in a new process, with the C library's allocator
    as it comes: no threshold set by hand, nothing preloaded."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MALLOC_") and k not in ("GLIBC_TUNABLES", "LD_PRELOAD")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env["OMP_NUM_THREADS"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


# Whether a 6 MB block of glibc's malloc is a mapping of its own (mallinfo2's count of
# mapped blocks, glibc 2.33 on), in a new process, after raise_malloc_thresholds run
# under torch's "meta" default device (or not run): the block it frees is malloc's, not
# a tensor of the default device.
_MAPPED = """
import ctypes, sys, torch
from dream_sklearn.nn._malloc import raise_malloc_thresholds

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
        "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "raised":
    with torch.device("meta"):
        assert raise_malloc_thresholds()
before = libc.mallinfo2().hblks
block = libc.malloc(6 * 2**20)
print(libc.mallinfo2().hblks - before)
libc.free(block)
"""

_GLIBC = pytest.mark.skipif(
    not _malloc._is_glibc(), reason="glibc's thresholds: Linux with glibc only"
)


@_GLIBC
def test_the_freed_block_raises_glibcs_mmap_threshold_whatever_torchs_default_device():
    import ctypes

    if not hasattr(ctypes.CDLL(None), "mallinfo2"):
        pytest.skip("mallinfo2 is glibc 2.33's")
    assert _run(_MAPPED, "as it comes") == "1"  # (mapped of its own: above 128 KiB)
    assert _run(_MAPPED, "raised") == "0"  # (from the heap: below 30 MiB)


@pytest.mark.slow  # a compilation from cold in a new process, about a minute: ``-m slow``
@_GLIBC
def test_a_new_process_keeps_the_compiled_steps_memory_between_steps():
    result = json.loads(_run(_CHILD))
    # Steps 7-20, after the first's compilation (or load) and the optimizer's state:
    # about 1,600-2,200 faults each (6 MB of 4 KiB pages) before the thresholds were
    # raised (some runs had a few steps of none), 0 after (a lone step up to a few
    # hundred).
    steady = sorted(result["faults"][6:])
    assert steady[len(steady) // 2] < 200, result["faults"]
    assert result["raised"] == 1


def test_nothing_is_done_on_another_c_library(monkeypatch):
    def no_such_name(name):
        raise ValueError(f"unrecognized configuration name: {name}")

    monkeypatch.setattr(os, "confstr", no_such_name, raising=False)  # (none on Windows)
    assert not _malloc._is_glibc()
    # (the function itself, past its once-a-process cache)
    assert _malloc.raise_malloc_thresholds.__wrapped__() is False


def test_the_compiled_loop_raises_the_thresholds_on_the_cpu_only(monkeypatch):
    import torch

    from dream_sklearn.nn import DREAM, _layer

    calls = []
    monkeypatch.setattr(_layer, "raise_malloc_thresholds", lambda: calls.append(True))
    # (the loop's "compiled" function the eager loop: nothing compiled here)
    monkeypatch.setattr(torch, "compile", lambda fn, **kwargs: _layer._run_steps)
    monkeypatch.setattr(_layer, "_COMPILED_LOOP", _layer._CompiledLoop())
    torch.manual_seed(0)
    model = DREAM(3, 5, rank=2)
    x = torch.randn(2, 4, 3)
    expected, _ = model(x)  # (eager: no call)
    assert calls == []
    model.compile_step = True
    out, _ = model(x)
    assert calls == [True]
    torch.testing.assert_close(out, expected)
    model(x[:, :1])  # (one step: no loop, no call)
    assert calls == [True]
    with torch.device("meta"):  # (not on the CPU: no call)
        model.to("meta")(torch.empty(2, 4, 3))
    assert calls == [True]


def test_the_online_compiled_row_raises_the_thresholds_for_buffers_above_1_mib(monkeypatch):
    from dream_sklearn.online import DREAMOnlineClassifier, _compiled, compiled_available

    if not compiled_available():
        pytest.skip("the compiled row needs numba")
    calls = []
    monkeypatch.setattr(_compiled, "raise_malloc_thresholds", lambda: calls.append(True))

    def run(rows):
        model = DREAMOnlineClassifier(seed=0)
        for x, y in rows:
            model.predict_one(x)
            model.learn_one(x, y)
        model.predict_one(rows[-1][0])  # (lays the buffers out, after a growth event)
        return model._fast.fb.nbytes

    # Three numeric features, then a one-hot feature of 30 categories (river's
    # OneHotEncoder rows: each category a slot): buffers of tens and hundreds of KiB,
    # no call.
    narrow = [({"a": i % 7 / 7, "b": i % 3, "c": (i * 13) % 5}, i % 2 == 0) for i in range(60)]
    assert run(narrow) < 2**17
    some = [({f"cat_{i % 30}": 1.0, "x": i % 7 / 7}, i % 4 == 0) for i in range(90)]
    assert 2**17 < run(some) < _compiled._HEAP_FROM
    assert calls == []
    # 300 categories: the buffer past 1 MiB once about 100 are seen.
    wide = [({f"cat_{i % 300}": 1.0, "x": i % 7 / 7}, i % 4 == 0) for i in range(300)]
    assert run(wide) > _compiled._HEAP_FROM
    assert calls
