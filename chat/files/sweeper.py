"""The upload sweep: a background loop in each process that deletes uploads never attached to a message within
24 hours, every FILE_SWEEP_INTERVAL seconds (0: off, as in tests, which sweep when they mean to).

Safe with several processes: each file is removed by one conditional delete (`metadata.attached` still null),
so two sweeps, or a sweep and a send attaching the file, never both win (chat/files/service.py).
"""
from ..process.background import start_every


def init_app(app, files):
    """Start the sweep as a background task of the app's async mode; returns it (None when the interval is 0)."""
    return start_every(app, "upload sweep", files.sweep_unattached, app.config["FILE_SWEEP_INTERVAL"])
