"""The benchmark scenarios; each returns the records it wrote (one JSON line per target and variant)."""
