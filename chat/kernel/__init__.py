"""The shared kernel: what every layer may use and that uses no layer — the error envelope (errors), ids, the
clock, the input fields shared by every transport, the table of chat kinds, the settings (config) and running
work off the event loop (concurrency). Nothing here imports Flask, Socket.IO or any other
module of `chat` (the `kernel` contract in .importlinter)."""
