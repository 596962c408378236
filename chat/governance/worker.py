"""The governance loops of a process: the retention sweep (RETENTION_SWEEP_INTERVAL, which also deletes old
exports) and the export builder (EXPORT_POLL_INTERVAL); 0 turns either off, as in tests that run them by hand."""
from ..process.background import start_every


def init_app(app, services):
    """Start the loops as background tasks of the app's async mode; returns them (None for one turned off)."""
    sweep = start_every(app, "retention sweep", services.retention.sweep, app.config["RETENTION_SWEEP_INTERVAL"])
    builder = None
    if services.exports is not None:
        builder = start_every(app, "export builder", services.exports.build_due, app.config["EXPORT_POLL_INTERVAL"])
    return sweep, builder
