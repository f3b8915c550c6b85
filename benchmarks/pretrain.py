"""Meta-train the online estimators' pretrained cell on a prior of drifting streams.

Each step draws a batch of fresh streams from the prior (dream_sklearn/online/_prior.py:
hyperplanes, random trees, RBF mixtures, rules over binary inputs; abrupt, gradual,
recurring or no change; 2-12 features, 2-5 classes or a regression target; noise).
A stream's rows reach the cell as the online estimator feeds them with
``cell="pretrained"`` (online/_pretrained.py): its features through a random
projection onto a fixed width (a fresh projection per stream), the previous label's
standardised one-hot (or the previous target) onto inputs of its own.

Along each stream the cell steps row by row, its fast state carried across steps,
and a readout that starts at zero learns online along the stream, as the
estimator's readout does: a softmax (or linear) readout over ``[h, u, 1]`` predicts
the row's label, then takes one SGD step on it. The loss is the readout's
progressive loss (cross-entropy or squared error of each prediction made before its
label), plus the squared error of the cell's own prediction (``tanh(h C)``, its
predictive coding) of the next row's label channel, i.e. of this row's label; BPTT
runs through the cell and through the readout's own steps, over windows of
``--window`` rows (``--chunks`` windows per stream: truncated BPTT, the state and
the readout carried on, detached). The slow weights learn to give a readout that
learns online what it needs to predict the next label, also soon after a change.

Single thread, fixed seed: two runs with the same seed, steps and sizes give the same
weights bit for bit on one machine (with the same torch build). They do not give the
shipped file's weights: docs/pretrained.md, "Reproduction". Writes the weights and a
JSON record beside them.

    python benchmarks/pretrain.py                          # the shipped weights' settings
    python benchmarks/pretrain.py --steps 20 --out /tmp/x.pt --inputs "no label"
    python benchmarks/pretrain.py --evaluate dream_sklearn/online/data/pretrained_cell.pt
    python benchmarks/pretrain.py --check        # rerun the shipped weights, compare sha256
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import torch

from dream_sklearn.online import _pretrained as P
from dream_sklearn.online._prior import MAX_CLASSES, MAX_FEATURES, describe, prior_stream

SEED = 0
STEPS = 1000
BATCH = 16
WINDOW = 128
LR = 3e-3  # Adam
READOUT_LR = 0.1  # the in-window readout's SGD step
CHUNKS = 3  # windows per stream (truncated BPTT, state and readout carried on)
AUX = 1.0  # weight of the cell's own prediction of the next label (label channel)
READ_U = 1.0  # 0: the in-window readout reads the cell's state only
CLIP = 5.0


def encode(rng: np.random.Generator, batch: int, window: int, inputs: str):
    """A batch of prior streams as the cell and the readout read them.

    Returns ``x`` (T, b, D) the cell's inputs, ``u`` (T, b, MAX_FEATURES) the
    standardised features (padded with zeros), ``y`` (T, b) labels (float),
    ``k`` (b,) classes (0: regression).
    """
    d = P.D_X + (P.D_Y if inputs == "label channel" else 0)
    x = np.zeros((window, batch, d))
    u = np.zeros((window, batch, MAX_FEATURES))
    y = np.zeros((window, batch))
    k = np.zeros(batch, dtype=np.int64)
    for i in range(batch):
        s = prior_stream(rng, window)
        f = s.X.shape[1]
        X = np.clip(s.X, -CLIP, CLIP)
        u[:, i, :f] = X
        y[:, i] = s.y
        k[i] = s.n_classes
        if s.n_classes:  # the previous label's one-hot, standardised as 1-of-K
            p = 1.0 / s.n_classes
            lab = (np.eye(s.n_classes)[s.y] - p) / np.sqrt(p * (1 - p))
        else:
            lab = np.clip(s.y, -CLIP, CLIP)[:, None]
        prev = np.zeros_like(lab)
        prev[1:] = lab[:-1]
        gx = rng.standard_normal((f, P.D_X))
        gy = rng.standard_normal((prev.shape[1], P.D_Y if inputs == "label channel" else P.D_X))
        if inputs == "label channel":
            x[:, i, : P.D_X] = X @ gx / np.sqrt(f)
            x[:, i, P.D_X :] = prev @ gy / np.sqrt(prev.shape[1])
        elif inputs == "mixed":
            n = f + prev.shape[1]
            x[:, i] = (X @ gx + prev @ gy) / np.sqrt(n)
        else:
            x[:, i] = X @ gx / np.sqrt(f)
    as_t = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
    return as_t(x), as_t(u), as_t(y), torch.as_tensor(k)


def window_loss(
    cell,
    x,
    u,
    y,
    k,
    readout_lr: float = READOUT_LR,
    aux: float = 0.0,
    state=None,
    W=None,
    read_u: float = READ_U,
    guess: list | None = None,
) -> tuple[torch.Tensor, object, torch.Tensor]:
    """The in-window readout's progressive loss (mean over rows and streams), plus
    ``aux`` times the squared error of the cell's own prediction ``tanh(h C)`` of
    the next row's label channel (the encoded label of this row); and the cell's
    state and the readout's weights at the window's end (to carry on the stream).
    ``guess``, if given, gets per row the mean squared error of that prediction and
    of a guess of 0 (label channel only).
    """
    T, b, _ = x.shape
    n = cell.config.hidden_dim
    F = n + u.shape[2] + 1
    if W is None:
        W = torch.zeros(b, MAX_CLASSES, F)
    cls = k > 0
    mask = torch.arange(MAX_CLASSES)[None, :] < k[:, None]  # (b, K) real classes
    if state is None:
        state = cell.initial_state(b)
    ones = torch.ones(b, 1)
    total = torch.zeros(())
    for t in range(T):
        h, state = cell(x[t], state)
        phi = torch.cat([h, u[t] * read_u, ones], dim=1)
        z = torch.einsum("bkf,bf->bk", W, phi)
        logits = z.masked_fill(~mask, -1e9)
        logp = torch.log_softmax(logits, dim=1)
        target = y[t]
        onehot = torch.nn.functional.one_hot(target.long().clamp(0, MAX_CLASSES - 1), MAX_CLASSES)
        ce = -(logp * onehot).sum(1)
        diff = z[:, 0] - target
        loss = torch.where(cls, ce, 0.5 * diff.clamp(-CLIP, CLIP) ** 2)
        total = total + loss.mean()
        if (aux or guess is not None) and t + 1 < T and x.shape[2] > P.D_X:
            err = ((torch.tanh(h @ cell.C[:, P.D_X :]) - x[t + 1, :, P.D_X :]) ** 2).mean()
            total = total + aux * err
            if guess is not None:
                guess.append((err.item(), (x[t + 1, :, P.D_X :] ** 2).mean().item()))
        err_c = (logp.exp() - onehot) * mask
        err_r = torch.zeros_like(z)
        err_r[:, 0] = diff.clamp(-CLIP, CLIP)
        err = torch.where(cls[:, None], err_c, err_r)
        W = W - readout_lr * err[:, :, None] * phi[:, None, :]
    return total / T, state, W


# How a gradient meets a scalar parameter below its floor (gamma, tau_sys at 1e-3; the
# others at 0): "clamp", clamp's own (0 below the floor: the parameter stays there),
# which the shipped weights were trained under (before round 35); "lift", the cell's
# since round 35 (_cell._Floors: a gradient that raises it passes). The shipped
# weights hold kappa and 19 of eta's 32 units below their floors, so the two rules
# part from step 360 of the run on (review 190). Under "clamp" this code trains as the
# shipping commit's did, to the bit (docs/pretrained.md, "Reproduction": neither run
# today gives the shipped file itself).
FLOOR_GRADIENTS = ("clamp", "lift")


@contextlib.contextmanager
def _floor_gradient(rule: str):
    """Train under ``rule`` (see FLOOR_GRADIENTS); the cell's own rule is put back."""
    if rule not in FLOOR_GRADIENTS:
        raise ValueError(f"floor_gradient must be one of {FLOOR_GRADIENTS}; got {rule!r}.")
    if rule == "lift":
        yield
        return
    from dream_sklearn.nn import _cell

    own = _cell._floored
    _cell._floored = _cell._clamped
    try:
        yield
    finally:
        _cell._floored = own


def train(
    seed: int = SEED,
    steps: int = STEPS,
    batch: int = BATCH,
    window: int = WINDOW,
    inputs: str = "label channel",
    lr: float = LR,
    aux: float = AUX,
    chunks: int = CHUNKS,
    read_u: float = READ_U,
    log_every: int = 0,
    freeze_plasticity: bool = False,
    floor_gradient: str = "clamp",
) -> tuple[dict, list]:
    """Meta-train a cell; its state dict and the loss of every step.

    Each step draws ``batch`` streams of ``window * chunks`` rows and runs them in
    ``chunks`` windows (truncated BPTT: one Adam step per window; the cell's state
    and the readout carried on, detached, from one window to the next).
    ``freeze_plasticity`` holds the scalars of the fast weights (``eta``, ``tau0``,
    ``kappa``, ``alpha``, ``gamma``) at their starting values, so that the training
    cannot turn the fast weights down. ``floor_gradient``: see FLOOR_GRADIENTS.
    """
    with _floor_gradient(floor_gradient):
        return _train(
            seed,
            steps,
            batch,
            window,
            inputs,
            lr,
            aux,
            chunks,
            read_u,
            log_every,
            freeze_plasticity,
        )


def _train(
    seed: int,
    steps: int,
    batch: int,
    window: int,
    inputs: str,
    lr: float,
    aux: float,
    chunks: int,
    read_u: float,
    log_every: int,
    freeze_plasticity: bool,
) -> tuple[dict, list]:
    """:func:`train`'s work, under the floor gradient it set."""
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    cell = P.build_cell(inputs)
    cell.reset_parameters(gen)
    rng = np.random.default_rng(seed)
    if freeze_plasticity:
        for p in (cell.eta, cell.tau0, cell.kappa, cell.alpha, cell.gamma):
            p.requires_grad_(False)
    opt = torch.optim.Adam([p for p in cell.parameters() if p.requires_grad], lr=lr)
    losses = []
    for step in range(steps):
        x, u, y, k = encode(rng, batch, window * chunks, inputs)
        state, W = None, None
        for c in range(chunks):
            at = slice(c * window, (c + 1) * window)
            loss, state, W = window_loss(
                cell, x[at], u[at], y[at], k, aux=aux, state=state, W=W, read_u=read_u
            )
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(cell.parameters(), 1.0)
            opt.step()
            losses.append(loss.item())
            state, W = type(state)(*(t.detach() for t in state)), W.detach()
        if log_every and (step % log_every == 0 or step == steps - 1):
            last = losses[-log_every:]  # a loss per window: chunks of them per step
            print(
                f"step {step:5d}  loss {np.mean(last):.4f} (last {len(last)} windows)", flush=True
            )
    return {"inputs": inputs, "state_dict": cell.state_dict()}, losses


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes (the shipped .pt as it is)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def weights_sha256(state_dict: dict) -> str:
    """sha256 over the state dict's names, dtypes, shapes and tensor bytes, in order: the
    same for the same weights wherever they are saved (``torch.save`` writes the file's
    name into the archive, so two saves of the same weights differ as files)."""
    h = hashlib.sha256()
    for name, value in state_dict.items():
        t = value.detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


def check(path: Path = P.WEIGHTS) -> bool:
    """Rerun the training the record beside ``path`` describes (the full run) and
    compare the weights with the record's ``weights_sha256``; also the file's own
    sha256 with the record's ``sha256``. Prints what it compared; True if both match."""
    rec = json.loads(Path(path).with_suffix(".json").read_text())
    shipped = torch.load(path, weights_only=True)["state_dict"]
    ok = True
    for what, got, want in (
        ("file sha256", file_sha256(path), rec["sha256"]),
        ("shipped weights_sha256", weights_sha256(shipped), rec["weights_sha256"]),
    ):
        print(f"{what}: {'matches' if got == want else f'MISMATCH {got} != {want}'}")
        ok &= got == want
    print(f"retraining: seed {rec['seed']}, {rec['steps']} steps (the full run) ...", flush=True)
    saved, _ = train(
        rec["seed"],
        rec["steps"],
        rec["batch"],
        rec["window"],
        rec["inputs"],
        lr=rec["adam_lr"],
        aux=rec["aux"],
        chunks=rec["chunks"],
        read_u=rec["read_u"],
        freeze_plasticity=rec.get("freeze_plasticity", False),
        # (a record from before the key: trained under clamp's gradient)
        floor_gradient=rec.get("floor_gradient", "clamp"),
    )
    got = weights_sha256(saved["state_dict"])
    same = got == rec["weights_sha256"]
    print(f"rerun weights_sha256: {'matches' if same else f'MISMATCH {got}'}")
    return ok and same


def _loaded(path: Path | None, inputs: str, **config):
    cell = P.build_cell(inputs, **config)
    if path is not None:
        saved = torch.load(path, weights_only=True)
        P.check_config(saved)  # saved with CONFIG; ``config`` goes over it
        sd = saved["state_dict"]
        cell.load_state_dict({k: v for k, v in sd.items() if k != "_extra_state"})
    return cell


def evaluate(
    path: Path, n_batches: int = 10, batch: int = 32, window: int = WINDOW, chunks: int = CHUNKS
) -> str:
    """What the ``--evaluate`` option prints for the weights at ``path``.

    A table: the in-stream readout's progressive loss on fresh prior streams (seed
    12345, never trained on), per window, for the cell at ``path``, the same with
    plasticity off, an untrained cell of the same shape, and no cell at all (``h`` = 0:
    the readout on the features alone). Then (label channel only) the squared error
    of the cell's own guess ``tanh(h C)`` of the next row's label inputs, over the
    rows after the first window (every row if ``chunks`` is 1), against a guess of 0;
    and the learned scalars against their starting values.
    """
    torch.set_num_threads(1)
    inputs = torch.load(path, weights_only=True)["inputs"]
    torch.manual_seed(0)
    none = _loaded(None, inputs)
    with torch.no_grad():
        for p in (none.B, none.W, none.C):
            p.zero_()
    cells = {
        "meta-trained": _loaded(path, inputs),
        "meta-trained, plasticity off": _loaded(path, inputs, plasticity_enabled=False),
        "untrained (same shape)": _loaded(None, inputs),
        "no cell (h = 0)": none,
    }
    head = " | ".join(f"rows {c * window}-{(c + 1) * window - 1}" for c in range(chunks))
    lines = [f"| cell | {head} |", "| --- |" + " ---: |" * chunks]
    guesses = {}
    for name, cell in cells.items():
        rng = np.random.default_rng(12345)
        out, guess = [], []
        with torch.no_grad():
            for _ in range(n_batches):
                x, u, y, k = encode(rng, batch, window * chunks, inputs)
                state, W, row = None, None, []
                for c in range(chunks):
                    at = slice(c * window, (c + 1) * window)
                    g = guess if c > 0 or chunks == 1 else None
                    loss, state, W = window_loss(
                        cell, x[at], u[at], y[at], k, state=state, W=W, guess=g
                    )
                    row.append(loss.item())
                out.append(row)
        guesses[name] = np.mean(guess, 0) if guess else None
        lines.append(f"| {name} | " + " | ".join(f"{v:.3f}" for v in np.mean(out, 0)) + " |")
    rows = f"rows {window if chunks > 1 else 0}-{window * chunks - 1}"
    streams = f"{n_batches * batch} streams"
    if guesses["meta-trained"] is not None:
        on, off = guesses["meta-trained"], guesses["meta-trained, plasticity off"]
        lines += [
            "",
            f"the cell's guess tanh(h C) of the next row's label inputs ({rows}, {streams}):",
            f"  squared error {on[0]:.3f} (plasticity off: {off[0]:.3f}); a guess of 0: "
            f"{on[1]:.3f}",
        ]
    trained, start = cells["meta-trained"], cells["untrained (same shape)"]
    lines += ["", "learned scalars (raw parameters; start: the value before training):"]
    for name in ("eta", "tau0", "alpha", "gamma", "kappa", "tau_sys", "scale"):
        v, v0 = getattr(trained, name).detach(), getattr(start, name).detach()
        if v.dim():
            lines.append(
                f"  {name:8s} start {v0.mean().item():.3f}  mean {v.mean().item():.4f}  "
                f"min {v.min().item():.4f}  max {v.max().item():.4f}  "
                f"negative on {int((v < 0).sum())} of {v.numel()} units"
            )
        else:
            lines.append(f"  {name:8s} start {v0.item():.3f}  now {v.item():.4f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--steps", type=int, default=STEPS)
    ap.add_argument("--batch", type=int, default=BATCH)
    ap.add_argument("--window", type=int, default=WINDOW)
    ap.add_argument("--inputs", choices=P.INPUTS, default="label channel")
    ap.add_argument("--aux", type=float, default=AUX)
    ap.add_argument("--chunks", type=int, default=CHUNKS)
    ap.add_argument("--read-u", type=float, default=READ_U)
    ap.add_argument("--out", type=Path, default=P.WEIGHTS)
    ap.add_argument(
        "--evaluate",
        type=Path,
        default=None,
        help="print the prior-loss table, the label guess's error and the learned scalars of "
        "these weights (with --n-batches, --window and --chunks)",
    )
    ap.add_argument("--n-batches", type=int, default=10, help="--evaluate: batches of 32")
    ap.add_argument(
        "--freeze-plasticity",
        action="store_true",
        help="hold eta, tau0, kappa, alpha and gamma at their starting values",
    )
    ap.add_argument(
        "--floor-gradient",
        choices=FLOOR_GRADIENTS,
        default="clamp",
        help="a gradient at a scalar below its floor: clamp's (0; the shipped weights') "
        "or the cell's since round 35 (one that raises it passes)",
    )
    ap.add_argument(
        "--check",
        action="store_true",
        help="rerun the shipped weights' training (the full run) and compare it with the "
        "record's weights_sha256; exits 1 on a mismatch; writes nothing",
    )
    args = ap.parse_args(argv)
    if args.check:
        if not check():
            raise SystemExit(1)
        return
    if args.evaluate is not None:
        print(evaluate(args.evaluate, args.n_batches, window=args.window, chunks=args.chunks))
        return
    start = time.perf_counter()
    cpu = time.process_time()
    saved, losses = train(
        args.seed,
        args.steps,
        args.batch,
        args.window,
        args.inputs,
        aux=args.aux,
        chunks=args.chunks,
        read_u=args.read_u,
        log_every=25,
        freeze_plasticity=args.freeze_plasticity,
        floor_gradient=args.floor_gradient,
    )
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(saved, args.out)
    rec = {
        "seed": args.seed,
        "steps": args.steps,
        "batch": args.batch,
        "window": args.window,
        "inputs": args.inputs,
        "adam_lr": LR,
        "readout_lr": READOUT_LR,
        "aux": args.aux,
        "chunks": args.chunks,
        "read_u": args.read_u,
        "freeze_plasticity": args.freeze_plasticity,
        "floor_gradient": args.floor_gradient,
        "cell": {
            "input_dim": P.D_X + (P.D_Y if args.inputs == "label channel" else 0),
            "hidden_dim": P.HIDDEN,
            **P.CONFIG,
        },
        "prior": describe(),
        "first_losses": losses[:5],
        "loss_mean_last_25_windows": float(np.mean(losses[-25:])),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "threads": 1,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "command": "python benchmarks/pretrain.py",
        "sha256": file_sha256(args.out),
        "weights_sha256": weights_sha256(saved["state_dict"]),
    }
    args.out.with_suffix(".json").write_text(json.dumps(rec, indent=2) + "\n")
    print(f"wrote {args.out} ({seconds:.0f} s)")


if __name__ == "__main__":
    main()
