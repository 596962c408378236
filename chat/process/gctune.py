"""The cyclic garbage collector tuned for a long-running server: GC_FREEZE and GC_THRESHOLDS.

CPython stops the whole process while it collects, and a full (generation 2) collection walks every object
it tracks, which grows with the connections held. Measured with 1,000 idle browser-like connections
(docs/performance.md, "Garbage collection"): at Python's thresholds (700, 10, 10) 9 full collections after start-up
in 182 s of sign-up, connect and traffic, 67–213 ms each; as shipped, none after start-up and no pause over
70 ms. Two settings, applied once by the entry point (wsgi.py; gunicorn's `wsgi:app` imports it too), never
by tests building apps:
- GC_FREEZE: one full collection, then gc.freeze(), once the app is built: the modules, the app, its
  routes and schemas (about 100,000 objects) are never walked again;
- GC_THRESHOLDS: gc.set_threshold(*GC_THRESHOLDS). The default (5000, 20, 100) makes young collections
  about 7 times rarer (each under 5 ms nearly always) and full ones rarer still; cycles that die young
  (most of them) are still collected by the young collections, the rest waits for the next full one.
"""
import gc


def tune(config):
    """Apply GC_THRESHOLDS (empty: Python's) and GC_FREEZE; returns (thresholds, frozen objects) for the log."""
    if config["GC_THRESHOLDS"]:
        gc.set_threshold(*config["GC_THRESHOLDS"])
    if config["GC_FREEZE"]:
        gc.collect()
        gc.freeze()
    return gc.get_threshold(), gc.get_freeze_count()
