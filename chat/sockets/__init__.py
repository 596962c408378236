"""Socket.IO namespaces: `/` (session and presence), `/self`, `/personal`, `/group`."""
from .group import GroupNamespace
from .personal import PersonalNamespace
from .presence import MemoryPresence
from .root import RootNamespace
from .self_chat import SelfNamespace

NAMESPACE_CLASSES = (RootNamespace, SelfNamespace, PersonalNamespace, GroupNamespace)


def register_namespaces(app, socketio):
    """Attach every namespace handler to the app's Socket.IO server, with this app's presence tracker."""
    app.extensions["chat.presence"] = MemoryPresence()
    app.extensions["chat.namespaces"] = {}
    for namespace_class in NAMESPACE_CLASSES:
        namespace = namespace_class()
        socketio.on_namespace(namespace)
        app.extensions["chat.namespaces"][namespace.namespace] = namespace
