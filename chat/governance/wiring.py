"""Builds the governance services (chat/services.py calls `governance_services` once) and hooks them into the
services they watch: the security log into the auth services, the audit log into the group service."""
from dataclasses import dataclass, field

from ..chats.repository import ChatRepository
from ..files.repository import FileRepository
from ..messages.repository import MessageRepository
from ..threads.repository import ThreadRepository
from ..users.repository import UserRepository
from .exports import EXPORT_READY, ExportService
from .exports_repository import ExportRepository
from .repository import audit_repository, security_repository
from .retention import RetentionSweep
from .retention_repository import RetentionRepository
from .service import AuditLog, SecurityLog


@dataclass
class Governance:
    """What build_services adds: `services` (Services fields by name) and `leftovers` (functions of a user id
    that remove what a deleted account leaves here)."""

    services: dict
    leftovers: list = field(default_factory=list)
    composers: dict = field(default_factory=dict)  # the mail worker's composers of the mails sent from here


def governance_services(config, db, background_db, auth, groups, session_repo, files):
    """The audit and security logs, hooked into auth (`auth.security`) and groups (`groups.audit`), the export
    service and the retention sweep (which also deletes old exports)."""
    audit = AuditLog(audit_repository(db), admin_group=groups.admin_group)
    security = SecurityLog(security_repository(db), session_owner=session_repo.owner)
    auth.security, groups.audit = security, audit
    # The export builder and the sweep run off the request path: they read on the background client.
    readers = {"users": UserRepository(background_db), "chats": ChatRepository(background_db),
               "messages": MessageRepository(background_db), "files": FileRepository(background_db),
               "threads": ThreadRepository(background_db)}
    export_repo = ExportRepository(db)
    exports = ExportService(export_repo, readers, auth.is_live, auth.queue_mail, security, config)
    retention = RetentionSweep(RetentionRepository(background_db), ChatRepository(background_db).take_rev,
                               files.remove_attached, config["RETENTION_DAYS"], config["RETENTION_BATCH"],
                               config["RETENTION_PAUSE"], extra=[exports.remove_old])
    return Governance(services={"audit": audit, "security": security, "retention": retention, "exports": exports},
                      leftovers=[security.forget_user, export_repo.forget_user],
                      composers={EXPORT_READY: exports.compose})
