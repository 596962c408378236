"""Run a Python server with every database command it sends counted (by command name and collection).

    python -m bench.experiments.commands OUT.json wsgi.py

Registers a pymongo CommandListener for every client the server makes, then runs the script as
__main__. On SIGUSR2 (bench/targets.py sends it before it stops a server; wsgi.py keeps SIGTERM for
itself) it writes OUT.json: per "command collection" the count and the total time the server took to
answer, so a benchmark phase's commands per delivered message can be read next to its figures.
Chosen with BENCH_COMMANDS=1 (bench/targets.py).
"""
import json
import runpy
import signal
import sys
import time
from collections import defaultdict

from pymongo import monitoring

_counts = defaultdict(lambda: [0, 0.0])
_started = time.monotonic()


class Listener(monitoring.CommandListener):
    """Counts commands and their round-trip time by name and collection."""

    def __init__(self):
        self.keys = {}

    def started(self, event):
        target = event.command.get(event.command_name)
        self.keys[(event.connection_id, event.request_id)] = (
            f"{event.command_name} {target}" if isinstance(target, str) else event.command_name)

    def _done(self, event):
        key = self.keys.pop((event.connection_id, event.request_id), event.command_name)
        _counts[key][0] += 1
        _counts[key][1] += event.duration_micros / 1e6

    succeeded = failed = _done


def main(argv):
    path, script, *rest = argv

    def write(*_args):
        report = {"seconds": round(time.monotonic() - _started, 1),
                  "commands": {k: {"count": c, "total_s": round(t, 3)} for k, (c, t) in sorted(_counts.items())}}
        with open(path, "w") as handle:
            json.dump(report, handle)
    monitoring.register(Listener())
    signal.signal(signal.SIGUSR2, write)
    sys.argv = [script, *rest]
    sys.path.insert(0, ".")
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
