"""Files the results are written to: atomically (a reader never sees half a file), and where the tables of a
seed go. Used by the job store (``store.py``) and by the tables (``report.py``) alike."""
from __future__ import annotations

import os
from pathlib import Path


def tables_folder(out: Path, experiment: str, seed: int) -> Path:
    """Where the tables of a seed go: ``out/<experiment>`` for seed 0 (the seed of every reported table),
    ``out/<experiment>/seed<S>`` for any other, so a run under another seed never replaces them."""
    return out / experiment if seed == 0 else out / experiment / f"seed{seed}"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
