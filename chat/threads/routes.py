"""REST for threads: a thread's pages and the caller's followed threads. Sends into a thread are the chats'
sends with `ThreadOf` (chat/chats/routes.py)."""
from flask import Blueprint
from flask_jwt_extended import get_jwt_identity

from ..bearer import bearer_required
from ..http import counted, endpoint
from ..kernel.kinds import ChatRef
from ..openapi import ok
from ..services import services
from ..tokens.scopes import MESSAGES_READ
from .schemas import ThreadQuerySchema, ThreadsQuerySchema
from .wire import followed_out, thread_page

bp = Blueprint("threads", __name__)


@bp.get("/messages/<message_id>/thread")
@bearer_required()
@counted("fetch")
@endpoint(ok("thread", "The root and a page of its replies by ThreadSeq."), auth="access",
          scope=MESSAGES_READ, query=ThreadQuerySchema,
          errors={404: "`not_found`: no such message, or not a member of its chat.",
                  422: "`validation_error`: not a top-level message, or a cursor that is not a reply of it."})
def thread(message_id, query):
    """A page of the thread of a top-level message (oldest→newest, by ThreadSeq), as `fetch-thread`; members only.
    A deleted root's thread stays readable."""
    user_id = get_jwt_identity()
    ref = ChatRef.any(services().threads.chat_of(message_id))
    return thread_page(*services().threads.page(user_id, ref, message_id, query.get("before"), query.get("after"),
                                                query.get("limit")), urls=services().file_urls)


@bp.get("/threads")
@bearer_required()
@counted("fetch")
@endpoint(ok("threads", "One page of the caller's followed threads."), auth="access",
          scope=MESSAGES_READ, query=ThreadsQuerySchema)
def followed(query):
    """The threads the caller follows, most recent reply first, each with its root and Unread (replies beyond the
    caller's read position)."""
    total, entries = services().threads.followed(get_jwt_identity(), query["page"], query["per_page"])
    return followed_out(total, entries, query["page"], query["per_page"], urls=services().file_urls)
