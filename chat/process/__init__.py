"""The process around the app: the local database it may start (localdb), its log (logs), garbage-collector
tuning (gctune), WebSocket compression (wscompression), the background loops (background), the metrics and
their `/metrics` route, `/health`, the security headers and draining before a stop (drain). The chat's
rules are not here: they are in the feature packages."""
