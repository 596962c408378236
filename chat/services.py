"""The service container: every service built once per app from its repositories and settings.

Transports (routes, socket namespaces) reach services through `services()`; services themselves
never import Flask or Socket.IO. Every service that changes something announces it to the one events
publisher given here (chat/events.py; over Socket.IO: chat/sockets/publisher.py).
"""
from dataclasses import dataclass
from datetime import timedelta

from .auth.accounts import AccountService
from .auth.deletion import AccountDeletion
from .auth.mailer import mailer_from_config
from .auth.oidc import build_oidc
from .auth.outbox import MailOutbox, MailWorker
from .auth.passwords import Passwords
from .auth.repository import OneTimeTokenRepository, SessionRepository
from .auth.service import VERIFY_EMAIL, AuthService
from .auth.twofactor import TwoFactorService
from .auth.twofactor_repository import ChallengeRepository, TwoFactorRepository
from .blocks.repository import BlockRepository
from .blocks.service import BlockService
from .bots.service import BotService
from .chats.repository import ChatRepository
from .chats.service import ChatService
from .events import Publisher
from .files.images import ImageInspector
from .files.repository import FileRepository
from .files.service import FileService
from .files.urls import UrlSigner
from .governance.service import AuditLog, SecurityLog
from .governance.wiring import governance_services
from .groups.repository import GroupRepository
from .groups.service import GroupService
from .messages.repository import MessageRepository
from .messages.service import MessageService
from .moderation.invite_repository import InviteRepository
from .moderation.invites import InviteService
from .moderation.pin_repository import PinRepository
from .moderation.report_repository import ReportRepository
from .moderation.reports import ReportService
from .moderation.service import ModerationService
from .notify.digest import DigestService
from .notify.repository import NotifyRepository
from .notify.service import NotifyService
from .previews.repository import PreviewCache
from .previews.service import PreviewService
from .search.repository import SearchRepository
from .search.service import SearchService
from .threads.repository import ThreadRepository
from .threads.service import ThreadService
from .tokens.repository import AccessTokenRepository
from .tokens.service import TokenService
from .users.repository import UserRepository
from .users.service import UserService
from .webhooks.delivery import WEBHOOK_DISABLED, DeliveryWorker, disabled_notice
from .webhooks.repository import DeliveryRepository, WebhookRepository
from .webhooks.service import WebhookService


@dataclass
class Services:
    auth: AuthService
    accounts: AccountService
    deletion: AccountDeletion
    users: UserService
    chats: ChatService
    messages: MessageService
    groups: GroupService
    blocks: BlockService
    files: FileService
    mailer: object
    mail_worker: MailWorker
    notify: NotifyService  # push subscriptions, settings, delivery to members who are away
    digest: DigestService  # the email digest
    events: Publisher | None = None  # what the services announce to (chat/events.py)
    twofactor: TwoFactorService | None = None  # TOTP enrolment and the second step of a login
    oidc: object = None  # single sign-on with OpenID Connect (chat/auth/oidc.py)
    search: SearchService | None = None  # GET /search (chat/search/)
    moderation: ModerationService | None = None  # moderators, pins, invites, reports (chat/moderation/)
    threads: ThreadService | None = None  # replies in threads, follows (chat/threads/)
    tokens: TokenService | None = None  # personal access tokens (chat/tokens/)
    bots: BotService | None = None  # bot users (chat/bots/)
    webhooks: WebhookService | None = None  # incoming and outgoing webhooks (chat/webhooks/)
    webhook_delivery: DeliveryWorker | None = None  # the outgoing webhooks' queue, off the request path
    previews: PreviewService | None = None  # GET /link-preview (chat/previews/)
    audit: AuditLog | None = None  # the groups' audit log (chat/governance/)
    security: SecurityLog | None = None  # the accounts' security log
    exports: object = None  # POST /me/export and its builder (chat/governance/exports.py)
    retention: object = None  # the retention sweep (chat/governance/retention.py)
    file_urls: UrlSigner | None = None  # signs the file URLs of every message shown (chat/files/wire.py)


def build_services(config, db, events=None, background_db=None, file_urls=None):
    """Wire repositories and services for one app, each announcing to events (default: a Publisher that does
    nothing). What runs off the request path (the push workers and the digest loop: chat/notify/) reads and
    writes through background_db, a client of its own (chat/db.py). file_urls: the signer of file URLs the
    transports and the publisher share (default: one from config)."""
    background_db = db if background_db is None else background_db
    events = Publisher() if events is None else events
    users = UserRepository(db)
    mailer = mailer_from_config(config)
    passwords = Passwords(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"])
    outbox = MailOutbox(db)
    session_repo, token_repo = SessionRepository(db), OneTimeTokenRepository(db)
    auth = AuthService(users, session_repo, token_repo, passwords, outbox, config, events=events)
    accounts = AccountService(auth, users, session_repo, token_repo, passwords, config)
    twofactor = TwoFactorService(auth, TwoFactorRepository(db), ChallengeRepository(db), config)
    auth.second_factor = twofactor.challenge_if_enabled  # /login asks accounts with 2FA for a code
    oidc = build_oidc(config, db, auth, users)  # single sign-on
    composers = {VERIFY_EMAIL: auth.compose_verification, **accounts.composers(),
                 WEBHOOK_DISABLED: disabled_notice(config["MAIL_FROM"])}
    mail_worker = MailWorker(MailOutbox(background_db), mailer, composers,  # the worker's own client
                             max_attempts=config["MAIL_MAX_ATTEMPTS"], retry_delay=config["MAIL_RETRY_DELAY"],
                             poll_interval=config["MAIL_POLL_INTERVAL"],
                             retention=timedelta(seconds=config["MAIL_RETENTION"]))
    chat_repository, message_repository = ChatRepository(db), MessageRepository(db)
    chats = ChatService(chat_repository, message_repository, users)
    files = FileService(FileRepository(db), chats, config["FILE_MAX_BYTES"], config["FILE_QUOTA_BYTES"],
                        ImageInspector.from_config(config))
    messages = MessageService(chats, chat_repository, message_repository, config["CONTENT_MAX_CHARS"], files=files,
                              events=events)
    threads = ThreadService(messages, ThreadRepository(db), events)
    messages.threads = threads  # a send with ThreadOf, a deleted reply
    group_repository = GroupRepository(db, config["GROUP_MAX_MEMBERS"])
    groups = GroupService(group_repository, users, config, events=events)
    moderation = ModerationService(groups, group_repository, chats, chat_repository, PinRepository(db),
                                   message_repository, events=events,
                                   invites=InviteService(groups, InviteRepository(db), group_repository),
                                   reports=ReportService(ReportRepository(db), chats, message_repository, messages,
                                                         groups, config["ADMIN_USERS"]))
    notify_repo = NotifyRepository(db, background_db)
    notify = NotifyService(notify_repo, config)
    digest = DigestService(notify_repo, ChatRepository(background_db), MessageRepository(background_db),
                           UserRepository(background_db), mailer, config)
    digest.threads = ThreadRepository(background_db)  # followed threads' replies in the digest
    # What else a deleted account leaves behind, each removed by a function of the user id.
    tokens = TokenService(AccessTokenRepository(db), users, config["TOKENS_PER_USER"])
    governance = governance_services(config, db, background_db, auth, groups, session_repo, files)  # audit, logs
    composers.update(governance.composers)  # the export's mail
    messages.audit = groups.audit  # a moderator's deletions go into the group's audit log too
    deletion = AccountDeletion(auth, users, session_repo, token_repo, chat_repository, message_repository, groups,
                               leftovers=[files.remove_owned_by, notify.forget_user, twofactor.forget_user,
                                          oidc.forget_user, threads.repo.forget_user, tokens.forget_user,
                                          *governance.leftovers])
    bots = BotService(users, tokens, deletion, config["BOTS_PER_USER"])
    deletion.leftovers.append(bots.remove_owned_by)  # an owner's bots go with their account
    blocks = BlockService(BlockRepository(db), users, chat_repository, events=events)
    webhooks = WebhookService(WebhookRepository(db), DeliveryRepository(db), groups, messages, users, config)
    webhook_delivery = DeliveryWorker(WebhookRepository(background_db), DeliveryRepository(background_db),
                                      UserRepository(background_db), MailOutbox(background_db), config)
    return Services(auth=auth, accounts=accounts, deletion=deletion, users=UserService(users), chats=chats,
                    messages=messages, groups=groups, blocks=blocks, files=files, mailer=mailer,
                    mail_worker=mail_worker, notify=notify, digest=digest, events=events, twofactor=twofactor,
                    oidc=oidc, search=SearchService(SearchRepository(db)), moderation=moderation,
                    threads=threads, tokens=tokens, bots=bots, webhooks=webhooks, webhook_delivery=webhook_delivery,
                    previews=PreviewService(PreviewCache(db), config),
                    file_urls=file_urls or UrlSigner.from_config(config), **governance.services)


def services(app=None):
    """The current app's services."""
    from flask import current_app
    return (app or current_app).extensions["chat.services"]
