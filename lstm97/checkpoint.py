"""Checkpoints of a job in flight: its trainer's state (any pytree, trial axis first), each trial's finish time
and the time so far, in one ``.npz`` beside the job file (``store.sibling(path, ".ckpt.npz")``), tagged with
what it belongs to (row fingerprint, seed, trial count) so that a foreign or truncated file starts the job
afresh with a one-line notice. ``train.py`` and ``continual.py`` save and load through here."""
from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


def save(path: Path, state: Any, tag: np.ndarray, finished_at: np.ndarray,
                     elapsed: float, trials: int, **extra: np.ndarray) -> None:
    """The real trials only (not the padding lanes), so a run on another number of devices resumes too;
    ``extra``: more arrays to keep (the packed rows' test keys)."""
    leaves = {f"leaf{i}": np.asarray(leaf)[:trials] for i, leaf in enumerate(jax.tree.leaves(state))}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        np.savez(f, tag=tag, finished_at=finished_at, elapsed=np.array(elapsed), **leaves,
                 **{f"extra_{k}": v for k, v in extra.items()})
    os.replace(tmp, path)


def load(path: Path, fresh: Any, tag: np.ndarray, finished_at: np.ndarray,
                     trials: int) -> tuple[Any, np.ndarray, float, dict]:
    """The saved state if it belongs to this row, seed and trial count; else the fresh one, with a one-line
    notice (a truncated or foreign checkpoint starts the row afresh). Padding lanes beyond ``trials`` start
    afresh (their results are never used)."""
    leaves, treedef = jax.tree.flatten(fresh)
    afresh = lambda why: (print(f"lstm97: checkpoint {path} {why}; starting the row afresh", file=sys.stderr),
                          (fresh, finished_at, 0.0, {}))[1]
    try:
        with open(path, "rb") as file, np.load(file) as saved:      # our handle: closed even when np.load fails
            if str(saved["tag"]) != str(tag):
                return afresh("belongs to another row, seed or trial count")
            loaded = [jnp.concatenate([jnp.asarray(saved[f"leaf{i}"], dtype=leaf.dtype), leaf[trials:]])
                      for i, leaf in enumerate(leaves)]
            if any(a.shape != b.shape for a, b in zip(loaded, leaves)):
                return afresh("holds another state layout")
            extra = {k[len("extra_"):]: saved[k].copy() for k in saved.files if k.startswith("extra_")}
            return (jax.tree.unflatten(treedef, loaded), saved["finished_at"].copy(), float(saved["elapsed"]),
                    extra)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
        return afresh(f"is unreadable ({type(e).__name__})")
