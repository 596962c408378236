"""The shape docs/architecture.md describes, checked on the source: no import cycle in chat/, and only the
socket layer's publisher (and the transport's own plumbing) emits. The layers themselves are import-linter's
contracts (.importlinter, `lint-imports` in `make test`)."""
import ast
from pathlib import Path

import grimp

CHAT = Path(__file__).resolve().parent.parent / "chat"
# Where emits may be spelled: the events port's Socket.IO side, the handler plumbing (a fetch's echo and what a
# new socket is told, both to the asking socket only) and the client manager.
EMITTERS = {"sockets/publisher.py", "sockets/group_pushes.py", "sockets/base.py", "sockets/manager.py"}


def test_there_is_no_import_cycle_in_chat():
    graph = grimp.build_graph("chat", cache_dir=None)
    cycles = [(module, imported) for module in sorted(graph.modules)
              for imported in graph.find_modules_directly_imported_by(module)
              if graph.find_shortest_chain(importer=imported, imported=module)]
    assert len(graph.modules) > 150, "the graph missed modules"
    assert cycles == []


def emit_calls(path):
    """The lines of path that call something's `.emit(...)`."""
    tree = ast.parse(path.read_text())
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "emit"]


def test_no_socket_handler_route_or_service_emits_by_itself():
    found = {str(path.relative_to(CHAT)): emit_calls(path) for path in CHAT.rglob("*.py")}
    assert found["sockets/publisher.py"], "the scan broke: the publisher emits"
    emitting = {path: lines for path, lines in found.items() if lines and path not in EMITTERS}
    assert emitting == {}, "emit only through the events publisher (chat/sockets/publisher.py)"
