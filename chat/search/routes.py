"""`GET /search`: the caller's messages that match a query (chat/search/service.py)."""
import click
from flask import Blueprint
from flask_jwt_extended import get_jwt_identity

from ..bearer import bearer_required
from ..http import counted, endpoint
from ..openapi import ok
from ..services import services
from ..tokens.scopes import MESSAGES_READ
from .schemas import SearchQuerySchema, search_out

bp = Blueprint("search", __name__)


@bp.get("/search")
@bearer_required()
@counted("fetch")
@endpoint(ok("search", "Matching messages, newest first, and the next page's cursor."), auth="access",
          scope=MESSAGES_READ,
          query=SearchQuerySchema,
          errors={404: "`not_found`: `chat` is not a chat the caller is a member of.",
                  422: "`validation_error`: no term, a term of fewer than 2 or more than 100 characters, more "
                       "than 10 terms, `has` other than `file`, `after` not before `before`, a bad `cursor`."})
def search(query):
    """Messages of the caller's chats in which every term of `q` occurs within a word (case and accents ignored),
    newest first; filters `chat`, `from`, `has=file`, `before`, `after`; `limit`, `cursor`."""
    page = services().search.search(
        get_jwt_identity(), query["q"], chat=query.get("chat"), sender=query.get("sender"),
        has_file=query.get("has") == "file", before=query.get("before"), after=query.get("after"),
        limit=query.get("limit"), cursor=query.get("cursor"))
    return search_out(page, services().file_urls)


@bp.cli.command("backfill")
def backfill_command():
    """Index the messages stored before search existed (`flask --app wsgi search backfill`)."""
    click.echo(f"{services().search.backfill()} messages indexed for search")
