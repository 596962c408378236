"""Experiments on local variants of the server (not part of the suite); see docs/performance.md."""
