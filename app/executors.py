"""Where the runs of a reproduction or sweep execute: in this process (``local``) or as SLURM jobs (``slurm``).

A reproduction is a list of independent runs, each a folder that the trainer can resume and that holds
everything a table needs (``test.json``, ``validation.json``). The executor therefore only has to get
every run *finished*; the tables are always rebuilt from the run folders afterwards, in this process
(finished runs and validations are reused, which takes seconds). Nothing is lost when the driver dies:
rerunning the command re-attaches to the jobs still queued or running (their ids are kept in
``OUT/slurm/jobs.json``), submits the runs that are neither finished nor in the queue, and then tabulates.

SLURM submission goes through `submitit <https://github.com/facebookincubator/submitit>`_ (each run one
task of an array job, at most ``max_parallel`` at a time; partition, time limit, CPUs, GPUs and memory
per run). The driver follows the jobs with a progress bar and resubmits a job that failed (an exception,
or a job that left the queue without a result: time limit, node failure) ``retries`` times; a run that
still fails is reported with its log file, and the command ends with a one-line error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsnn.common.files import atomic_write_text

EXECUTORS = ("local", "slurm")
#: Seconds a job may be absent from ``squeue`` without a result before it counts as failed (the result file
#: of a job that just ended can reach a shared file system a little after the job leaves the queue).
VANISHED_GRACE_S = 20.0


class ClusterError(RuntimeError):
    """A SLURM job could not be submitted or failed after its retries (the message names the run and its log)."""


@dataclass(frozen=True)
class ExecutorOptions:
    """How to execute runs: ``kind`` ``local`` (in this process, in order) or ``slurm`` (submitit array jobs).

    The SLURM fields are per run: ``partition`` (None: the cluster's default), ``time_min`` (the job's time
    limit in minutes), ``cpus`` and ``gpus`` per run, ``mem_gb`` (None: the partition's default),
    ``max_parallel`` (array tasks running at once), ``retries`` (resubmissions of a failed job) and
    ``poll_s`` (seconds between looks at the queue)."""

    kind: str = "local"
    partition: str | None = None
    time_min: int = 240
    cpus: int = 2
    gpus: int = 0
    mem_gb: float | None = None
    max_parallel: int = 32
    retries: int = 1
    poll_s: float = 5.0
    extra: dict[str, Any] = field(default_factory=dict)  # further submitit parameters (slurm_additional_parameters ...)

    def __post_init__(self) -> None:
        if self.kind not in EXECUTORS:
            raise ValueError(f"executor {self.kind!r} is not available; choose one of: {', '.join(EXECUTORS)}.")
        for name in ("time_min", "cpus", "max_parallel"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1; got {getattr(self, name)}.")
        if self.gpus < 0 or self.retries < 0 or (self.mem_gb is not None and self.mem_gb <= 0):
            raise ValueError("--gpus-per-run and --retries must be >= 0 and --mem-gb positive.")

    def submitit_parameters(self) -> dict[str, Any]:
        """The parameters of ``submitit.AutoExecutor.update_parameters`` for one run."""
        params: dict[str, Any] = {"name": "lsnn", "timeout_min": self.time_min, "cpus_per_task": self.cpus, "tasks_per_node": 1,
                                  "nodes": 1, "slurm_array_parallelism": self.max_parallel, **self.extra}
        if self.partition:
            params["slurm_partition"] = self.partition
        if self.gpus:
            params["gpus_per_node"] = self.gpus
        if self.mem_gb is not None:
            params["mem_gb"] = self.mem_gb
        return params


@dataclass(frozen=True)
class Job:
    """One run to execute: ``function(*args)`` must leave ``run_dir`` finished (and be importable by name, as
    submitit pickles it for the compute node)."""

    name: str
    run_dir: Path
    function: Callable[..., Any]
    args: tuple


def execute(jobs: Sequence[Job], options: ExecutorOptions, folder: Path, *, progress: bool = True, log=print) -> None:
    """Get every job's run finished. ``local``: nothing to do here (the caller runs them in order, as before);
    ``slurm``: submit, follow and retry them (module docstring); raises :class:`ClusterError` naming every run
    that still failed."""
    if options.kind == "local" or not jobs:
        return
    SlurmRunner(options, folder, progress, log).run(list(jobs))


class SlurmRunner:
    """Submits :class:`Job` s as a SLURM array through submitit and follows them (:func:`execute`)."""

    def __init__(self, options: ExecutorOptions, folder: Path, progress: bool, log) -> None:
        self.options, self.folder, self.progress, self.log = options, Path(folder), progress, log
        self.record_path = self.folder / "jobs.json"

    # -------------------------------------------------------------- the queue
    def _executor(self):
        try:
            import submitit
        except ImportError:
            raise ClusterError("--executor slurm needs submitit (pip install submitit; it is in the project's dependencies).") from None
        executor = submitit.AutoExecutor(folder=str(self.folder / "%j"), cluster="slurm")
        executor.update_parameters(**self.options.submitit_parameters())
        return executor

    @staticmethod
    def queued_ids() -> set[str]:
        """Ids of every job in the queue (array tasks as ``123_4``)."""
        out = subprocess.run(["squeue", "-h", "-r", "-o", "%i"], check=False, capture_output=True, text=True)
        if out.returncode:
            raise ClusterError(f"squeue failed: {' '.join(out.stderr.split()) or out.returncode}")
        return set(out.stdout.split())

    def _read_record(self) -> dict[str, dict[str, Any]]:
        try:
            return json.loads(self.record_path.read_text())
        except (OSError, ValueError):
            return {}

    def _write_record(self, record: dict[str, dict[str, Any]]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.record_path, json.dumps(record, indent=1, sort_keys=True) + "\n")

    def _submit(self, jobs: list[Job]) -> dict[str, Any]:
        executor = self._executor()
        try:
            with executor.batch():
                handles = [executor.submit(job.function, *job.args) for job in jobs]
        except Exception as exc:  # submitit raises its own errors with sbatch's message
            raise ClusterError(f"sbatch refused the jobs: {' '.join(str(exc).split())[:400]}") from None
        return {job.name: handle for job, handle in zip(jobs, handles)}

    def _attach(self, job_id: str):
        import submitit

        return submitit.SlurmJob(folder=str(self.folder / "%j"), job_id=job_id)

    # -------------------------------------------------------------- the loop
    def run(self, jobs: list[Job]) -> None:
        from tqdm.auto import tqdm

        missing = [name for name in ("sbatch", "squeue") if shutil.which(name) is None]
        if missing:
            raise ClusterError(f"--executor slurm: no {' or '.join(missing)} on PATH; run the command on a SLURM login node "
                               "(or use --executor local).")
        record = self._read_record()
        queued = self.queued_ids()
        handles: dict[str, Any] = {}
        for job in jobs:  # re-attach to jobs that an earlier driver submitted and that are still queued or running
            previous = record.get(job.name)
            if previous and previous.get("state") == "submitted" and previous.get("job_id") in queued:
                handles[job.name] = self._attach(previous["job_id"])
                self.log(f"[lsnn slurm] {job.name}: following job {previous['job_id']} (submitted earlier)")
        attempts = {name: int(record[name].get("attempts", 1)) for name in handles}  # fresh jobs get 1 below
        fresh = [job for job in jobs if job.name not in handles]
        by_name = {job.name: job for job in jobs}
        if fresh:
            handles.update(self._submit(fresh))
            for job in fresh:
                attempts[job.name] = 1
                record[job.name] = self._entry(job, handles[job.name], attempts[job.name], "submitted")
            self._write_record(record)
            self.log(f"[lsnn slurm] submitted {len(fresh)} run(s) as array job {handles[fresh[0].name].job_id.split('_')[0]} "
                     f"(logs in {self.folder})")
        failed: dict[str, str] = {}
        missing_since: dict[str, float] = {}
        with tqdm(total=len(jobs), desc="slurm runs", unit="run", disable=not self.progress) as bar:
            pending = dict(handles)
            while pending:
                queued = self.queued_ids()
                for name, handle in list(pending.items()):
                    outcome = self._outcome(handle, queued, missing_since)
                    if outcome is None:
                        continue
                    del pending[name]
                    if outcome == "done":
                        record[name] = self._entry(by_name[name], handle, attempts[name], "done")
                        bar.update(1)
                    elif attempts[name] <= self.options.retries:
                        self.log(f"[lsnn slurm] {name}: job {handle.job_id} failed ({outcome}); resubmitting")
                        attempts[name] += 1
                        pending[name] = self._submit([by_name[name]])[name]
                        record[name] = self._entry(by_name[name], pending[name], attempts[name], "submitted")
                    else:
                        failed[name] = f"{outcome}; log {handle.paths.stderr}"
                        record[name] = self._entry(by_name[name], handle, attempts[name], "failed")
                        bar.update(1)
                    self._write_record(record)
                if pending:
                    time.sleep(self.options.poll_s)
        if failed:
            first = next(iter(failed.items()))
            raise ClusterError(f"{len(failed)} run(s) failed on SLURM after {self.options.retries + 1} attempt(s), e.g. "
                               f"{first[0]}: {first[1]} (all in {self.record_path}); fix the cause and rerun the command "
                               "(finished runs are reused).")

    @staticmethod
    def _entry(job: Job, handle, attempts: int, state: str) -> dict[str, Any]:
        return {"job_id": str(handle.job_id), "run_dir": str(job.run_dir), "attempts": attempts, "state": state,
                "stderr": str(handle.paths.stderr)}

    @staticmethod
    def _outcome(handle, queued: set[str], missing_since: dict[str, float]) -> str | None:
        """None while the job is queued or running; ``"done"``; else why it failed."""
        if handle.paths.result_pickle.exists():
            try:
                error = handle.exception()
            except Exception as exc:  # an unreadable result file
                return f"unreadable result ({type(exc).__name__})"
            if error is None:
                return "done"
            return " ".join(str(error).split()).splitlines()[0][-300:] if str(error).strip() else type(error).__name__
        if str(handle.job_id) in queued:
            missing_since.pop(str(handle.job_id), None)
            return None
        first_missing = missing_since.setdefault(str(handle.job_id), time.monotonic())
        if time.monotonic() - first_missing < VANISHED_GRACE_S:
            return None
        return "left the queue without a result (time limit, memory or node failure)"


def add_executor_arguments(parser) -> None:
    """The ``--executor`` options shared by ``lsnn reproduce`` and ``lsnn sweep``."""
    g = parser.add_argument_group("where the runs execute")
    g.add_argument("--executor", choices=EXECUTORS, default="local",
                   help="local: one after the other in this process; slurm: one SLURM job per run via submitit (tables built here "
                        "from the run folders afterwards; rerunning the command re-attaches to running jobs)")
    g.add_argument("--partition", default=None, help="slurm: partition (default: the cluster's)")
    g.add_argument("--time-min", type=int, default=240, help="slurm: time limit per run in minutes (default 240)")
    g.add_argument("--cpus-per-run", type=int, default=2, help="slurm: CPUs per run (default 2)")
    g.add_argument("--gpus-per-run", type=int, default=0, help="slurm: GPUs per run (default 0)")
    g.add_argument("--mem-gb", type=float, default=None, help="slurm: memory per run in GB (default: the partition's)")
    g.add_argument("--max-parallel", type=int, default=32, help="slurm: array tasks running at once (default 32)")
    g.add_argument("--retries", type=int, default=1, help="slurm: resubmissions of a failed run (default 1)")


def executor_options(args) -> ExecutorOptions:
    """:class:`ExecutorOptions` from the parsed ``--executor`` arguments (checked)."""
    return ExecutorOptions(kind=args.executor, partition=args.partition, time_min=args.time_min, cpus=args.cpus_per_run,
                           gpus=args.gpus_per_run, mem_gb=args.mem_gb, max_parallel=args.max_parallel, retries=args.retries,
                           poll_s=float(os.environ.get("LSNN_SLURM_POLL_S", 5.0)))
