"""Run a corpus through an ingest target in subprocesses with time and memory limits.

One worker process handles many inputs (starting a process per input would cost a
second each); when an input kills it (crash, memory limit, or the per-input alarm), the
input is recorded and a fresh worker continues with the next one.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

WORKER = Path(__file__).with_name("hardening_worker.py")


@dataclass
class FuzzReport:
    """Outcome per input name, the worst peak RSS, and timing."""

    outcomes: dict[str, str] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    baseline_rss_mb: float = 0.0
    seconds: float = 0.0
    workers_started: int = 0

    def counts(self) -> Counter:
        return Counter(self.outcomes.values())

    def failures(self) -> dict[str, str]:
        """Inputs that escaped the contract: crash, hang, killed, or a non-rejection error."""
        return {
            k: f"{v}: {self.details.get(k, '')}"
            for k, v in self.outcomes.items()
            if v not in ("accepted", "rejected")
        }


def _limits(mem_mb: int, cpu_s: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mem_mb * 2**20, mem_mb * 2**20))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def run_corpus(
    target: str,
    inputs: dict[str, bytes],
    folder: Path,
    per_input_s: int = 10,
    mem_mb: int = 3072,
    total_s: float = 300.0,
) -> FuzzReport:
    """Feed every input to ``target`` (see ``hardening_worker.py``) and collect outcomes.

    Args:
        target: ``"read_image"``, ``"upload"``, ``"archive"`` or ``"scrub"``.
        inputs: name -> bytes.
        folder: scratch folder for the input files.
        per_input_s: wall-clock alarm per input in the worker.
        mem_mb: address-space limit of each worker (RLIMIT_AS).
        total_s: give up (and fail) after this long overall.
    """
    folder.mkdir(parents=True, exist_ok=True)
    names = sorted(inputs)
    paths = []
    for i, name in enumerate(names):
        p = folder / f"{i:05d}.bin"
        p.write_bytes(inputs[name])
        paths.append(str(p))
    list_file = folder / "inputs.txt"
    list_file.write_text("\n".join(paths))
    report = FuzzReport()
    t0 = time.monotonic()
    start = 0
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENCV_FOR_THREADS_NUM": "1"}
    while start < len(names):
        if time.monotonic() - t0 > total_s:
            raise TimeoutError(f"fuzz run over {total_s} s at input {start}/{len(names)}")
        report.workers_started += 1
        proc = subprocess.Popen(
            [sys.executable, str(WORKER), target, str(list_file), str(start), str(per_input_s)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
            preexec_fn=_limits(mem_mb, int(total_s)),
        )
        current = None
        assert proc.stdout is not None
        for line in proc.stdout:
            parts = line.rstrip("\n").split(" ", 4)
            if parts[0] == "start":
                current = int(parts[1])
            elif parts[0] == "done":
                i = int(parts[1])
                report.outcomes[names[i]] = parts[2]
                report.details[names[i]] = parts[4] if len(parts) > 4 else ""
                rss_mb = int(parts[3]) / 1024
                if i == start:
                    report.baseline_rss_mb = max(report.baseline_rss_mb, rss_mb)
                report.peak_rss_mb = max(report.peak_rss_mb, rss_mb)
                current = None
                start = i + 1
        rc = proc.wait()
        if current is not None:  # died inside an input
            kind = "hang" if rc == -14 else f"killed(rc={rc})"
            report.outcomes[names[current]] = kind
            report.details[names[current]] = kind
            start = current + 1
        elif rc != 0 and start < len(names):
            raise RuntimeError(f"fuzz worker for {target} failed to start (exit {rc})")
    report.seconds = time.monotonic() - t0
    return report
