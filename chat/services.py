"""The service container: every service built once per app from its repositories and settings.

Transports (routes, socket namespaces) reach services through `services()`; services themselves
never import Flask or Socket.IO.
"""
from dataclasses import dataclass
from datetime import timedelta

from .auth.mailer import mailer_from_config
from .auth.outbox import MailOutbox, MailWorker
from .auth.passwords import Passwords
from .auth.repository import OneTimeTokenRepository, SessionRepository
from .auth.service import VERIFY_EMAIL, AuthService
from .chats.repository import ChatRepository
from .chats.service import ChatService
from .groups.repository import GroupRepository
from .groups.service import GroupService
from .messages.repository import MessageRepository
from .messages.service import MessageService
from .users.repository import UserRepository
from .users.service import UserService


@dataclass
class Services:
    auth: AuthService
    users: UserService
    chats: ChatService
    messages: MessageService
    groups: GroupService
    mailer: object
    mail_worker: MailWorker


def build_services(config, db, on_session_revoked=None):
    """Wire repositories and services for one app."""
    users = UserRepository(db)
    mailer = mailer_from_config(config)
    passwords = Passwords(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"])
    outbox = MailOutbox(db)
    auth = AuthService(users, SessionRepository(db), OneTimeTokenRepository(db), passwords, outbox, config,
                       on_session_revoked=on_session_revoked)
    mail_worker = MailWorker(outbox, mailer, {VERIFY_EMAIL: auth.compose_verification},
                             max_attempts=config["MAIL_MAX_ATTEMPTS"], retry_delay=config["MAIL_RETRY_DELAY"],
                             poll_interval=config["MAIL_POLL_INTERVAL"],
                             retention=timedelta(seconds=config["MAIL_RETENTION"]))
    chat_repository, message_repository = ChatRepository(db), MessageRepository(db)
    chats = ChatService(chat_repository, message_repository, users)
    messages = MessageService(chats, chat_repository, message_repository, config["CONTENT_MAX_CHARS"])
    groups = GroupService(GroupRepository(db, config["GROUP_MAX_MEMBERS"]), users, config)
    return Services(auth=auth, users=UserService(users), chats=chats, messages=messages, groups=groups,
                    mailer=mailer, mail_worker=mail_worker)


def services(app=None):
    """The current app's services."""
    from flask import current_app
    return (app or current_app).extensions["chat.services"]
