"""Benchmarks: a load generator (python-socketio AsyncClient on asyncio) and scenarios run against the real
server and two bare baselines (python-socketio on gevent, Node.js socket.io). See docs/performance.md."""
