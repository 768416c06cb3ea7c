#!/usr/bin/python3
"""Runs a command and reports what it cost: wall seconds, CPU seconds (user + system,
children included), peak resident set size and peak anonymous memory.

    bench/measure.py OUT.json -- COMMAND [ARG]...

The command's exit status becomes ours. Peak RSS is the kernel's (getrusage ru_maxrss):
it includes the program's file-backed pages (its binary, its libraries, and for a client
that writes through mmap the file pages it touched). Peak anonymous memory is what the
heap, stacks and buffers really cost: /proc/PID/status RssAnon, sampled every 10 ms for
the whole run (a download's working set lives for seconds, so sampling misses nothing
that matters), the maximum over the process and its descendants summed per sample.
"""
import json
import os
import subprocess
import sys
import threading
import time


def anon_kib(pid):
    """RssAnon of pid plus its descendants, in KiB (0 for a process already gone)."""
    total = 0
    pending = [pid]
    while pending:
        p = pending.pop()
        try:
            with open(f"/proc/{p}/status") as status:
                for line in status:
                    if line.startswith("RssAnon:"):
                        total += int(line.split()[1])
                        break
            with open(f"/proc/{p}/task/{p}/children") as children:
                pending.extend(int(c) for c in children.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    out_path, command = sys.argv[1], sys.argv[3:]
    start = time.monotonic()
    child = subprocess.Popen(command)
    peak = {"anon": 0}
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak["anon"] = max(peak["anon"], anon_kib(child.pid))
            done.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # wait4 reaps the child and returns its own resource usage (and its descendants').
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - start
    done.set()
    sampler.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    with open(out_path, "w") as out:
        json.dump({
            "wall_s": round(wall, 3),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
            "user_s": round(usage.ru_utime, 3),
            "sys_s": round(usage.ru_stime, 3),
            "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
            "peak_anon_mib": round(peak["anon"] / 1024, 1),
            "exit": child.returncode,
        }, out)
        out.write("\n")
    return child.returncode if child.returncode >= 0 else 128 - child.returncode


if __name__ == "__main__":
    sys.exit(main())
