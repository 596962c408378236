"""The email digest: one mail listing a user's chats with unread messages, for users who are away.

Every NOTIFY_DIGEST_POLL seconds each process sweeps the chats with new messages for members away with unread
ones (chat/notify/sweep.py), which marks their digest due NOTIFY_EMAIL_DELAY seconds after that activity
(`notify_state.due_at`), then looks at the due digests. For each: a user who is online again, or whose last
digest's window (NOTIFY_EMAIL_INTERVAL) has not ended, has it moved later; otherwise one compare-and-set of
the due time read (`claim_digest`) decides which process sends it, so two processes never send the same
digest. The claim moves the due time a lease ahead: a process that dies before finishing leaves the digest due
again then, so the next one is never lost.

A digest lists the user's chats (self chats aside) with unread messages beyond what the previous digest covered
(`digested.<chat id>`), never a muted one, only personal chats and mentions for `mentions`; each with its name,
unread count, newest excerpt and a link to the web client. It carries a one-click unsubscribe link (RFC 8058
`List-Unsubscribe` and `List-Unsubscribe-Post`) with a token signed with SECRET_KEY that can only turn
digests off, for this user, without signing in.
"""
import base64
import hashlib
import hmac
import logging
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from html import escape

from ..auth.mailer import MailError, report
from ..chats.mute import is_muted
from ..chats.service import stored_beyond
from ..kernel import errors
from ..kernel.clock import utcnow
from ..kernel.ids import to_object_id
from ..kernel.kinds import GROUP, PERSONAL
from .listheaders import LIST_POLICY
from .service import email_setting, excerpt
from .sweep import sweep
from .threads import rows as thread_rows

log = logging.getLogger(__name__)

MOST_CHATS = 20  # chats listed in one digest
PURPOSE = b"chat-unsubscribe-email:"


def unsubscribe_token(secret, user_id):
    """`<user id>.<signature>`: it names the user, and only unsubscribe accepts it."""
    digest = hmac.new(secret.encode("utf-8"), PURPOSE + user_id.encode("ascii"), hashlib.sha256).digest()
    return f"{user_id}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode('ascii')}"


def token_user(secret, token):
    """The user id an unsubscribe token was made for, or None when it is not one (forged, cut, other purpose)."""
    if not isinstance(token, str) or token.count(".") != 1 or len(token) > 200:
        return None
    user_id = token.split(".", 1)[0]
    if to_object_id(user_id) is None or str(to_object_id(user_id)) != user_id:
        return None
    return user_id if hmac.compare_digest(unsubscribe_token(secret, user_id), token) else None


class DigestService:
    """Finds due digests, claims each once, composes and sends it."""

    def __init__(self, repo, chat_repo, message_repo, user_repo, mailer, config, online=None):
        self.repo, self.chat_repo, self.message_repo, self.user_repo = repo, chat_repo, message_repo, user_repo
        self.mailer = mailer
        self.secret = config["SECRET_KEY"]
        self.sender = config["MAIL_FROM"]
        self.public_url = config["PUBLIC_URL"]
        self.client_url = config["CLIENT_URL"] or config["PUBLIC_URL"]
        self.delay = timedelta(seconds=config["NOTIFY_EMAIL_DELAY"])
        self.interval = timedelta(seconds=config["NOTIFY_EMAIL_INTERVAL"])
        # Longer than one send can take (a few SMTP round trips, each bounded by SMTP_TIMEOUT).
        self.lease = timedelta(seconds=max(60.0, 6 * float(config["SMTP_TIMEOUT"]) + 30))
        self.online = online or (lambda user_ids: {user_id: False for user_id in user_ids})
        self.threads = None  # the thread repository: followed threads' unread replies (chat/notify/threads.py)

    def send_due(self, limit=100):
        """Sweep the chats active since the last pass for digests to mark due, then send the digests due now (at
        most limit looked at). Returns how many were sent by this process."""
        now = utcnow()
        sweep(self.repo, self.message_repo, self.online, self.delay, now, self.threads)
        return sum(self._consider(state, now) for state in self.repo.due(now, limit))

    def _consider(self, state, now):
        user_id = state["_id"]
        user = self.user_repo.by_id(user_id)
        if user is None or not user.get("verified") or user.get("bot") or email_setting(state) == "off":
            self.repo.move_due(state, None)
            return False
        not_before = state.get("not_before")
        if not_before is not None and not_before > now:
            self.repo.move_due(state, not_before)  # one digest per window
            return False
        if self.online([user_id]).get(user_id):
            self.repo.move_due(state, now + self.delay)  # here now: look again once they have been away a while
            return False
        claimed = self.repo.claim_digest(state, now + self.lease)
        if claimed is None:
            return False  # another process has it
        chats = self._unread_chats(user, claimed)
        if not chats:
            self.repo.move_due(claimed, None)
            return False
        try:
            self.mailer.send(self.message(user, chats), link=self.client_url)
        except MailError as exc:
            report(self.mailer, "failed")
            log.warning("digest for %s not sent, retrying after the lease: %s", user_id, exc)
            return False
        report(self.mailer, "sent")
        self.repo.finish_digest(user_id, claimed["due_at"], now + self.interval,
                                {row.get("key", row["chat"].id): row.get("top", row["chat"].seq)
                                 for row in chats})  # chats by Seq, threads (their root's id) by ThreadSeq
        return True

    def _unread_chats(self, user, state):
        """[{"chat", "name", "unread", "newest"}] of the chats the digest lists, most recent activity first."""
        user_id = str(user["_id"])
        setting, covered = email_setting(state), state.get("digested") or {}
        rows = []
        for kind in (PERSONAL, GROUP):
            for chat in self.chat_repo.for_member(user_id, kind):
                read = chat.reads.get(user_id, 0)
                since = max(read, covered.get(chat.id, 0))
                if chat.deleted or stored_beyond(chat, since) == 0 or is_muted(chat, user_id):
                    continue
                rows.append({"chat": chat, "since": since, "unread": stored_beyond(chat, read)})
        if setting == "mentions":
            groups = {row["chat"].id: row["since"] for row in rows if row["chat"].is_group}
            mentioned = self.message_repo.count_mentions(user_id, groups) if groups else {}
            rows = [row for row in rows if not row["chat"].is_group or mentioned.get(row["chat"].id)]
        if self.threads is not None:  # followed threads with unread replies (chat/notify/threads.py)
            rows += thread_rows(self.threads, user_id, state, utcnow(), lambda chat: chat_name(chat, user_id))
        rows.sort(key=lambda row: row.get("at") or row["chat"].updated_at, reverse=True)
        rows = rows[:MOST_CHATS]
        blocked = set(user.get("blocks") or ())
        for row in rows:
            if "key" in row:  # a thread's row is complete
                continue
            chat = row["chat"]
            row["name"] = chat_name(chat, user_id)
            newest = self.message_repo.in_range(chat.id, chat.seq, chat.seq)
            newest = newest[0] if newest else None
            row["newest"] = None if newest is None or newest.get("deleted") or newest["sender_id"] in blocked \
                else f"{newest.get('sender_name')}: {excerpt(newest.get('content'))}"
        return rows

    def unsubscribe(self, token):
        """The one-click unsubscribe: email digests off for the user the token names, and nothing else. Returns
        the user id; invalid_token for anything that is not such a token (or names no account)."""
        user_id = token_user(self.secret, token)
        if user_id is None or self.user_repo.by_id(user_id) is None:
            raise errors.invalid_token("This unsubscribe link is not valid.")
        self.repo.set_email(user_id, "off")
        return user_id

    def unsubscribe_url(self, user_id):
        return f"{self.public_url}/unsubscribe?token={unsubscribe_token(self.secret, user_id)}"

    def message(self, user, chats):
        """The digest mail: plain text and HTML, with the RFC 8058 one-click unsubscribe headers."""
        user_id = str(user["_id"])
        unsubscribe = self.unsubscribe_url(user_id)
        total = sum(row["unread"] for row in chats)
        message = EmailMessage(policy=LIST_POLICY)  # List-Unsubscribe as a raw <URL>, never encoded-words
        message["From"], message["To"] = self.sender, user["email"]
        message["Subject"] = (f"{total} unread message{'s' if total != 1 else ''} in "
                              f"{len(chats)} chat{'s' if len(chats) != 1 else ''}")
        message["Message-ID"] = make_msgid(domain="chat.local")
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        lines = [f"Hello {user['username']},", "", "While you were away:"]
        items = []
        for row in chats:
            label = f"{row['name']}: {row['unread']} unread"
            lines.append(f"- {label}" + (f" (newest: {row['newest']})" if row["newest"] else ""))
            items.append(f"<li><strong>{escape(row['name'] or '')}</strong>: {row['unread']} unread"
                         + (f"<br><span>{escape(row['newest'])}</span>" if row["newest"] else "") + "</li>")
        lines += ["", f"Open the chat: {self.client_url}", "",
                  f"You get at most one such mail every {_hours(self.interval)}. To get none, open {unsubscribe}"
                  " or change the email setting in the chat."]
        message.set_content("\n".join(lines) + "\n")
        message.add_alternative(
            f"<p>Hello {escape(user['username'])},</p><p>While you were away:</p><ul>{''.join(items)}</ul>"
            f'<p><a href="{escape(self.client_url)}">Open the chat</a></p>'
            f"<p><small>You get at most one such mail every {_hours(self.interval)}. "
            f'<a href="{escape(unsubscribe)}">Unsubscribe from these mails</a>.</small></p>', subtype="html")
        return message


def chat_name(chat, user_id):
    """A chat as a digest names it: a group's name, a personal chat's partner."""
    if chat.is_group:
        return chat.name
    return next((n for m, n in chat.names.items() if m != user_id), "someone")


def _hours(interval):
    seconds = int(interval.total_seconds())
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = max(1, seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
