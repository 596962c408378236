"""The account sweep: a background loop in each process that removes expired unverified accounts and finishes
account deletions left half-way (chat/auth/deletion.py), every ACCOUNT_SWEEP_INTERVAL seconds (0: off, as in
tests, which sweep when they mean to).

Both jobs are safe with several processes: expiry is one conditional `delete_many`, and a stalled deletion
is claimed by one process at a time.
"""
from ..process.background import start_every


def init_app(app, deletion):
    """Start the sweep as a background task of the app's async mode; returns it (None when the interval is 0)."""
    def sweep():
        deletion.expire_unverified()
        deletion.finish_stalled()
    return start_every(app, "account sweep", sweep, app.config["ACCOUNT_SWEEP_INTERVAL"])
