"""Peak private memory (USS: Private_Clean + Private_Dirty) of a process and its descendants.

Sampled every 50 ms by a separate process (``python -m bench.memory PID``), so the measured
process stays single-threaded (``score_archive`` forks its workers only then). The bench samples
the ``python -m evaluation score`` process it starts: its own memory and that of its workers.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path


def _parent_of(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[1])


def _private_kib(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    return sum(
        int(line.split()[1]) for line in text.splitlines() if line.startswith(("Private_Clean:", "Private_Dirty:"))
    )


def _descendants(root: int, exclude: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in (root, exclude):
            continue
        parent, hops = _parent_of(int(entry)), 0
        while parent > 1 and hops < 6:
            if parent == root:
                found.append(int(entry))
                break
            parent, hops = _parent_of(parent), hops + 1
    return found


def sample(root: int) -> None:
    """Sample until stdin closes, then print ``{"main": KiB, "workers": {pid: KiB}}``."""
    main_peak, peaks = 0, {}
    while True:
        main_peak = max(main_peak, _private_kib(root))
        for pid in _descendants(root, os.getpid()):
            peaks[pid] = max(peaks.get(pid, 0), _private_kib(pid))
        if select.select([sys.stdin], [], [], 0.05)[0]:
            break
    print(json.dumps({"main": main_peak, "workers": peaks}))


class PrivateMemorySampler:
    """Context manager sampling process ``root`` (default: this one) and its descendants.

    Afterwards ``main_mib`` (``root``) and ``worker_peak_mib`` (the largest descendant) hold the peaks.
    """

    def __init__(self, root: int | None = None) -> None:
        self.root = os.getpid() if root is None else root

    def __enter__(self) -> PrivateMemorySampler:
        command = [sys.executable, "-m", "bench.memory", str(self.root)]
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[1]
        )
        self.main_mib = self.worker_peak_mib = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        out, _ = self._process.communicate(input="stop\n", timeout=60)
        found = json.loads(out)
        self.main_mib = found["main"] / 1024
        self.worker_peak_mib = max(found["workers"].values(), default=0) / 1024


if __name__ == "__main__":
    sample(int(sys.argv[1]))
