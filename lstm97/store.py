"""The job store: one result file per (row, seed, fingerprint), written atomically, read only when intact.

A job's file is ``<out>/<experiment>/jobs/<row slug>.seed<S>.<fingerprint>.json``: everything that decides its
numbers is in its name, so a run under another seed, reading or numbers-changing code writes beside a
finished job and never replaces it. A file is read only when its schema is known and its ``checksum`` (crc32
of the per-trial rows) matches; anything else is reported in one line and recomputed. A job in flight holds
``<same name>.lock`` (``Lock``) and saves its state to ``<same name>.ckpt.npz``.
"""
from __future__ import annotations

import json
import os
import re
import socket
import sys
import threading
import time
import zlib
from pathlib import Path

from lstm97.files import write_atomic

SCHEMA = 1
LOCK_BEAT_S = 30.0          # seconds between a lock holder's heartbeats
LOCK_STALE_S = 300.0        # a lock not beaten for this long is taken over ($LSTM97_LOCK_STALE_S)


def slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9=.-]+", "_", label).strip("_")


def job_file(folder: Path, label: str, seed: int, fingerprint: str) -> Path:
    """``folder/<slug>.seed<seed>.<fingerprint>.json``: the job's identity is its name (a fingerprint that is
    not already eight hex digits is named by its crc32)."""
    short = fingerprint if re.fullmatch(r"[0-9a-f]{8}", fingerprint) else f"{zlib.crc32(fingerprint.encode()):08x}"
    return folder / f"{slug(label)}.seed{seed}.{short}.json"


def sibling(path: Path, suffix: str) -> Path:
    """The job's lock (``.lock``) or checkpoint (``.ckpt.npz``) beside its result file."""
    return path.with_name(path.name[:-len(".json")] + suffix)


def checksum(trials: list[dict]) -> str:
    """crc32 of the per-trial rows in a canonical form: a file edited or cut short no longer matches."""
    return f"{zlib.crc32(json.dumps(trials, sort_keys=True, separators=(',', ':')).encode()):08x}"


def read_record(path: Path, items: str = "trials") -> dict | None:
    """The record in ``path`` if it exists, has this schema and its checksum over ``record[items]`` matches;
    a file that fails is named in one line on stderr (and so recomputed by the caller). A file without a
    checksum fails: nobody can tell it from an edited one."""
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text())
        if record.get("schema") != SCHEMA:
            problem = f"has schema {record.get('schema')!r}, not {SCHEMA}"
        elif "checksum" not in record:
            problem = "has no checksum"
        elif record["checksum"] != checksum(record[items]):
            problem = "fails its checksum"
        else:
            return record
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        problem = "is unreadable or corrupt"
    print(f"lstm97: {path} {problem}; recomputing it", file=sys.stderr)
    return None


def load(path: Path, label: str, fingerprint: str, seed: int, count: int, items: str = "trials") -> dict | None:
    """The job's record if its file is intact and belongs to this label, fingerprint and seed, with at least
    ``count`` items (trials or nets); cut to ``count``."""
    record = read_record(path, items)
    if record is None or record.get("label") != label or record.get("fingerprint") != fingerprint \
            or record.get("seed") != seed or len(record[items]) < count:
        return None
    record[items] = record[items][:count]
    return record


# ---- locks ------------------------------------------------------------------------------------------------

def _host() -> str:
    """This machine: its name and boot (a pid means nothing on another host or after a reboot)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = ""
    return f"{socket.gethostname()}/{boot}"


def _started(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks after boot, from /proc), or None where that is unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat[stat.rindex(")") + 2:].split()[19]
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, ValueError):
        return False
    return True


def stale_s() -> float:
    return float(os.environ.get("LSTM97_LOCK_STALE_S", LOCK_STALE_S))


def holder(path: Path) -> str | None:
    """Why ``path`` is not held (a one-line reason: the holder died, is another process, went silent), or
    None while its holder lives. A lock is held by the process it names (pid and start time on this host)
    while that process beats its heartbeat."""
    try:
        info = json.loads(path.read_text())
        pid, host, start, beat = int(info["pid"]), str(info["host"]), info.get("start"), float(info["beat"])
    except FileNotFoundError:
        return "it is gone"
    except (OSError, ValueError, KeyError, TypeError):
        age = time.time() - _mtime(path)
        return None if age < stale_s() else f"it is unreadable and {age:.0f} s old"
    silent = time.time() - beat
    if silent > stale_s():
        return f"its holder (pid {pid} on {host.split('/')[0]}) has not beaten for {silent:.0f} s"
    if host == _host():
        if not _alive(pid):
            return f"its holder, pid {pid}, is not running"
        if start is not None and _started(pid) not in (None, start):
            return f"pid {pid} is another process than the one that took it"
    return None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


class Lock:
    """An exclusive claim on a job, across processes and hosts that share the folder: a JSON file with the
    holder's pid, host, process start time and heartbeat. ``acquire()`` creates it (O_EXCL) or takes over one
    whose holder is gone (``holder``), saying so in one line naming the file; a thread beats the heartbeat
    every ``LOCK_BEAT_S`` while it is held. Use as ``if lock.acquire(): try: … finally: lock.release()``."""

    def __init__(self, path: Path):
        self.path = path
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _payload(self) -> str:
        return json.dumps({"pid": os.getpid(), "host": _host(), "start": _started(os.getpid()),
                           "beat": time.time()})

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                reason = holder(self.path)
                if reason is None:
                    return False
                print(f"lstm97: taking over {self.path}: {reason}", file=sys.stderr)
                taken = self.path.with_name(f".{self.path.name}.{os.getpid()}.stale")
                try:
                    os.replace(self.path, taken)     # atomic: of two runs taking over, one wins
                    taken.unlink(missing_ok=True)
                except FileNotFoundError:
                    pass
                continue
            with os.fdopen(fd, "w") as f:
                f.write(self._payload())
            self._thread = threading.Thread(target=self._beat, daemon=True)
            self._thread.start()
            return True
        return False

    def _beat(self) -> None:
        while not self._stop.wait(float(os.environ.get("LSTM97_LOCK_BEAT_S", LOCK_BEAT_S))):
            try:
                if json.loads(self.path.read_text()).get("pid") != os.getpid():
                    return                           # taken over meanwhile: not ours to beat
                write_atomic(self.path, self._payload())
            except (OSError, ValueError):
                return

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            if json.loads(self.path.read_text()).get("pid") == os.getpid():
                self.path.unlink(missing_ok=True)
        except (OSError, ValueError):
            pass
