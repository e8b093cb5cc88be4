"""Run folders: a run's outputs land together, never mixed with another run's or a user's files.

- A folder that exists, is not empty and has no ``run.json`` holds files motionctx did not write:
  it is refused unless ``force`` (then outputs are written into it, replacing same-named files).
  A staged run also refuses a run folder holding files its ``run.json`` does not list.
- A lock file beside the folder (``.NAME.motionctx.lock``, holding the process id) refuses a
  second run into the same folder while the first is alive; a dead run's lock is taken over.
- Staged runs (recipes whose stages write only fresh outputs, such as ``animate``) write into a
  hidden staging folder beside the target; ``run.json`` is written there last and the staging
  folder then replaces the target in one rename exchange, so the target always holds one whole
  run: the previous one or the new one.
- In-place runs (stages that resume from their folder, such as ``train``) write ``run.json`` with
  ``"status": "running"`` first and the finished record last.
- Stale temporaries (staging folders, ``.*.tmp-PID-*`` files of interrupted atomic writes) are
  removed by the next run that holds the lock; a temporary whose writing process is alive (another
  rank of the same launch) is left to it.
- A launch of several processes (``accelerate launch``, ``torchrun``) writes in place; rank 0
  alone locks the folder and writes ``run.json``, and the files-not-ours check is skipped (the
  other ranks may already have written theirs).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any

from motionctx.errors import InputError
from motionctx.io.atomic import atomic_write_json

MARKER = "run.json"
_STAGING = ".staging-"
_OLD = ".replaced-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _writer_alive(name: str) -> bool:
    """Whether the process that named the temporary ``name`` (``.X.tmp-PID-...``) is still running
    (False for names without a process id)."""
    pid = name.rpartition(".tmp-")[2].partition("-")[0]
    return pid.isdigit() and _alive(int(pid))


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: this file system cannot
        return False
    raise OSError(err, os.strerror(err), str(b))


def foreign_files(folder: Path, *, exact: bool = False) -> list[str]:
    """Names in ``folder`` that motionctx did not write: everything when it has no ``run.json``;
    with ``exact``, also what is not among the ``files`` that ``run.json`` lists (a folder about
    to be replaced whole must hold nothing else)."""
    if not folder.is_dir():
        return []
    names = {p.name for p in folder.iterdir() if ".tmp-" not in p.name}
    if not (folder / MARKER).is_file():
        return sorted(names)
    if not exact:
        return []
    try:
        listed = json.loads((folder / MARKER).read_text(encoding="utf-8")).get("files")
    except (OSError, ValueError, AttributeError):
        listed = None
    if not isinstance(listed, list):  # a record from before files were listed, or a running one
        return []
    return sorted(names - {MARKER, *map(str, listed)})


class RunFolder:
    """The output folder of one run, locked and staged; use as a context manager around the run
    and call :meth:`commit` with the ``run.json`` record when every stage has finished."""

    def __init__(
        self, target: str | os.PathLike[str], *, staged: bool, force: bool = False, rank: int = 0, world: int = 1
    ) -> None:
        self.target = Path(target)
        #: several processes of one launch (``world > 1``) write in place; only rank 0 locks the
        #: folder and writes run.json, and files the other ranks have already written are not
        #: taken for a user's
        self.shared, self.main = world > 1, rank == 0
        self.staged = staged and not force and not self.shared
        self.force = force or self.shared
        self.work = self.target
        self._lock = self.target.parent / f".{self.target.name}.motionctx.lock"
        self._locked = False

    # ------------------------------------------------------------ lock

    def _acquire(self) -> None:
        me = f"{os.getpid()} {socket.gethostname()}\n"
        for _ in range(3):
            try:
                fd = os.open(self._lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                try:
                    pid_text, _, host = self._lock.read_text(encoding="utf-8").partition(" ")
                    pid = int(pid_text)
                except (OSError, ValueError):
                    pid, host = -1, ""
                if pid > 0 and (host.strip() != socket.gethostname() or _alive(pid)):
                    raise InputError(
                        f"another motionctx run (process {pid}) is writing into {str(self.target)!r}",
                        f"wait for it to finish, or delete {str(self._lock)!r} if no run is active",
                    ) from None
                self._lock.unlink(missing_ok=True)  # a dead run's lock
                continue
            with os.fdopen(fd, "w") as fh:
                fh.write(me)
            self._locked = True
            return
        raise InputError(f"cannot lock {str(self.target)!r}", f"delete {str(self._lock)!r} and run again")

    def _release(self) -> None:
        if self._locked:
            self._lock.unlink(missing_ok=True)
            self._locked = False

    # ------------------------------------------------------------ lifecycle

    def _clean_stale(self) -> None:
        """Restore a target lost between the two renames of a non-atomic swap; remove staging
        folders and temporaries left by dead processes (safe: this process holds the lock, and a
        temporary of a live process, another rank of this launch, is not touched)."""
        parent, name = self.target.parent, self.target.name
        olds = sorted(parent.glob(f".{name}{_OLD}*"))
        if olds and not self.target.exists():
            os.replace(olds.pop(), self.target)
        for stale in [*olds, *parent.glob(f".{name}{_STAGING}*")]:
            shutil.rmtree(stale, ignore_errors=True)
        if self.target.is_dir():
            for tmp in self.target.rglob(".*.tmp-*"):
                if _writer_alive(tmp.name):
                    continue
                if tmp.is_dir():
                    shutil.rmtree(tmp, ignore_errors=True)
                else:
                    tmp.unlink(missing_ok=True)

    def __enter__(self) -> RunFolder:
        if self.target.exists() and not self.target.is_dir():
            raise InputError(f"output folder {str(self.target)!r} is a file", "choose another output folder")
        self.target.parent.mkdir(parents=True, exist_ok=True)
        if not self.main:
            self.target.mkdir(parents=True, exist_ok=True)
            return self
        self._acquire()
        try:
            self._clean_stale()
            foreign = foreign_files(self.target, exact=self.staged)
            if foreign and not self.force:
                shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
                raise InputError(
                    f"output folder {str(self.target)!r} holds files motionctx did not write ({shown})",
                    "choose a new output folder (--output/-o or --set output=...), or pass --force to write into it",
                )
            if self.staged:
                self.work = Path(tempfile.mkdtemp(prefix=f".{self.target.name}{_STAGING}", dir=self.target.parent))
            else:
                self.target.mkdir(parents=True, exist_ok=True)
                atomic_write_json(self.target / MARKER, {"status": "running", "pid": os.getpid()})
        except BaseException:
            self._release()
            raise
        return self

    def commit(self, record: dict[str, Any]) -> None:
        """Write ``run.json`` last and, for a staged run, put the whole new run in place."""
        if not self.main:
            return
        files = sorted(p.name for p in self.work.iterdir() if p.name != MARKER)
        atomic_write_json(self.work / MARKER, {**record, "status": "complete", "files": files})
        if not self.staged:
            return
        os.chmod(self.work, 0o777 & ~_umask())
        if not self.target.exists():
            os.replace(self.work, self.target)
        elif _exchange(self.work, self.target):
            shutil.rmtree(self.work, ignore_errors=True)  # now the previous run
        else:  # two renames; a kill between them is repaired by the next run (_clean_stale)
            old = self.target.parent / f".{self.target.name}{_OLD}{os.getpid()}"
            os.replace(self.target, old)
            os.replace(self.work, self.target)
            shutil.rmtree(old, ignore_errors=True)
        self.work = self.target

    def __exit__(self, *exc: object) -> None:
        try:
            if self.staged and self.work != self.target:
                shutil.rmtree(self.work, ignore_errors=True)
        finally:
            self._release()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_status(folder: str | os.PathLike[str]) -> str | None:
    """The ``status`` of the run in ``folder`` (``complete``/``running``), or None when it has no
    readable ``run.json``; a record from before statuses existed counts as complete."""
    with contextlib.suppress(OSError, ValueError):
        record = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
        return str(record.get("status", "complete")) if isinstance(record, dict) else None
    return None
