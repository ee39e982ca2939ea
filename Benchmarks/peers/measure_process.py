"""Runs a command and writes its wall-clock seconds and peak resident set size as one JSON object.

    measure_process.py OUTPUT.json COMMAND [ARGUMENTS...]

The clock starts just before the child is created and stops when it exits, so this script's own
start-up is not counted (W1's whole-process time is the child's). Peak RSS is the child's
`ru_maxrss` (the largest child when `COMMAND` is `taskset`, which replaces itself with the program).
The exit code is the child's; stdin, stdout and stderr are passed through.
"""
import json
import resource
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 3:
        print("usage: measure_process.py OUTPUT.json COMMAND [ARGUMENTS...]", file=sys.stderr)
        return 64
    output, command = sys.argv[1], sys.argv[2:]
    start = time.monotonic()
    try:
        code = subprocess.call(command)
    except OSError as error:
        print(f"measure_process.py: cannot run {command[0]}: {error.strerror}", file=sys.stderr)
        return 127
    seconds = time.monotonic() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    with open(output, "w") as file:
        json.dump({"seconds": seconds, "peak_rss_mb": peak_kib / 1024, "exit_code": code}, file)
    return code


if __name__ == "__main__":
    sys.exit(main())
