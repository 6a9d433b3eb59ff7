"""Where a result comes from: the commit (``+dirty`` when the code that decides numbers, ``CODE``, has
uncommitted changes) and the versions of Python, jax, jaxlib, optax and numpy, the device and the machine.
Stored with every job file, run.json and table."""
from __future__ import annotations

import functools
import os
import platform
import subprocess
from pathlib import Path

import jax
import numpy
import optax


CODE = ("lstm97", "experiments", "pyproject.toml", "constraints.txt")   # what a run's numbers come from


def provenance() -> dict:
    """Commit and package versions, stored with every result file."""
    try:
        root = Path(__file__).resolve().parent.parent
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", *CODE],
                               cwd=root, capture_output=True, text=True,
                               timeout=10).stdout.strip()           # docs and results being written are not code
        if dirty:
            commit += "+dirty"
    except (OSError, subprocess.SubprocessError):
        commit = ""
    source = "git"
    if not commit:                      # a copy of the tree without .git (a lent machine, a cluster's rsync)
        commit = os.environ.get("LSTM97_COMMIT", "unknown")
        source = "$LSTM97_COMMIT (uncommitted changes unknown)" if commit != "unknown" else "none"
    return {"commit": commit, "commit_from": source, "python": platform.python_version(), "jax": jax.__version__,
            "jaxlib": getattr(jax.lib, "__version__", jax.__version__), "optax": optax.__version__,
            "numpy": numpy.__version__, "device": str(jax.devices()[0]), "machine": platform.machine(),
            "cpus": os.cpu_count()}


@functools.lru_cache(maxsize=1)
def code_provenance() -> dict:
    """``provenance()`` once per process, when its worker starts: a long run's modules are those it imported
    at its start, whatever is committed or edited while it runs."""
    return provenance()
