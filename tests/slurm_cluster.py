"""A one-node SLURM cluster on this machine for the tests: munged, slurmctld and slurmd on localhost.

Debian's ``slurm-wlm`` and ``munge`` (installed by ``scripts/run.sh test`` where apt-get and root are
available). Everything lives in one temporary folder: its own munge key and socket, the configuration
(``SLURM_CONF``), state, spool, logs and pid files, on free TCP ports, so it disturbs no other cluster on
the machine. :meth:`LocalSlurm.start` returns the reason when the cluster cannot start (the tests then
skip with it); :meth:`LocalSlurm.stop` cancels the jobs and stops the daemons.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalSlurm:
    """A single-node cluster rooted at ``folder`` (partition ``debug``, every CPU of the machine)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.conf = self.folder / "slurm.conf"
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}

    def missing(self) -> str | None:
        """Why this machine cannot run the cluster, or None."""
        absent = [name for name in (*DAEMONS, "sbatch", "squeue", "scancel") if shutil.which(name) is None
                  and not Path("/usr/sbin", name).exists()]
        if absent:
            return f"no {', '.join(absent)} (Debian packages slurm-wlm and munge; scripts/run.sh test installs them as root)"
        if os.geteuid() != 0:
            return "slurmd must run as root to start jobs"
        return None

    def _binary(self, name: str) -> str:
        return shutil.which(name) or str(Path("/usr/sbin", name))

    def start(self, timeout: float = 60.0) -> str | None:
        """Start munged, slurmctld and slurmd; None when the node accepts jobs, else the reason."""
        reason = self.missing()
        if reason:
            return reason
        f = self.folder
        for sub in ("munge", "state", "spool", "log"):
            (f / sub).mkdir(parents=True, exist_ok=True)
        (f / "munge").chmod(0o700)
        key = f / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        sock = f / "munge" / "munge.socket"
        out = subprocess.run([self._binary("munged"), "--force", f"--key-file={key}", f"--socket={sock}",
                              f"--pid-file={f / 'munge' / 'munged.pid'}", f"--log-file={f / 'munge' / 'munged.log'}",
                              f"--seed-file={f / 'munge' / 'munged.seed'}"], capture_output=True, text=True)
        if out.returncode:
            return f"munged did not start: {' '.join(out.stderr.split())}"
        host = socket.gethostname().split(".")[0]
        cpus = os.cpu_count() or 1
        self.conf.write_text("\n".join([
            "ClusterName=lsnntest", f"SlurmctldHost={host}(127.0.0.1)", "AuthType=auth/munge", f"AuthInfo=socket={sock}",
            "CredType=cred/munge", "SlurmUser=root", "SlurmdUser=root", f"SlurmctldPort={_free_port()}", f"SlurmdPort={_free_port()}",
            f"StateSaveLocation={f / 'state'}", f"SlurmdSpoolDir={f / 'spool'}", f"SlurmctldPidFile={f / 'slurmctld.pid'}",
            f"SlurmdPidFile={f / 'slurmd.pid'}", f"SlurmctldLogFile={f / 'log' / 'slurmctld.log'}",
            f"SlurmdLogFile={f / 'log' / 'slurmd.log'}", "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none",
            "SwitchType=switch/none", "MpiDefault=none", "SchedulerType=sched/backfill", "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core", "JobAcctGatherType=jobacct_gather/none", "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/none", "ReturnToService=2", "InactiveLimit=0", "MinJobAge=300", "KillWait=5", "Waittime=0",
            f"NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN",
            f"PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4", ""]))
        for daemon, flags in (("slurmctld", ["-c", "-i"]), ("slurmd", ["-c"])):
            out = subprocess.run([self._binary(daemon), *flags], capture_output=True, text=True, env=self.env)
            if out.returncode:
                self.stop()
                return f"{daemon} did not start: {' '.join(out.stderr.split())[:300]}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, env=self.env)
            if out.returncode == 0 and out.stdout.strip() in ("idle", "mix", "alloc"):
                return None
            time.sleep(0.5)
        self.stop()
        return f"the SLURM node did not become idle within {timeout:g} s (logs in {f / 'log'})"

    def stop(self) -> None:
        """Cancel every job and stop the daemons (those that started)."""
        subprocess.run(["scancel", "--full", "-u", "root"], capture_output=True, env=self.env)
        for pid_file in (self.folder / "slurmd.pid", self.folder / "slurmctld.pid", self.folder / "munge" / "munged.pid"):
            try:
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)
            except (OSError, ValueError, IndexError):
                pass
