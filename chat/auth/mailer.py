"""Outgoing mail: real SMTP when SMTP_HOST is set, otherwise a dev outbox folder."""
import logging
import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from ..clock import utcnow

log = logging.getLogger(__name__)


class MailError(Exception):
    """The mail could not be handed to the transport."""


def report(mailer, outcome):
    """Count one mail handed to mailer: "sent", or "failed" (it raised MailError). Call it wherever a mail is
    sent; chat/metrics.py sets `mailer.on_outcome` (chat_mails_total), and without it this does nothing."""
    listener = getattr(mailer, "on_outcome", None)
    if listener is not None:
        listener(outcome)


def verification_message(sender, recipient, username, link, ttl_hours):
    """The verification mail, in plain text and HTML."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = "Confirm your email address"
    message["Message-ID"] = make_msgid(domain="chat.local")
    message.set_content(
        f"Hello {username},\n\nConfirm your email address by opening this link:\n\n{link}\n\n"
        f"The link works for {ttl_hours} hours. If you did not sign up, ignore this mail.\n")
    message.add_alternative(
        f"<p>Hello {username},</p><p><a href=\"{link}\">Confirm your email address</a></p>"
        f"<p>The link works for {ttl_hours} hours. If you did not sign up, ignore this mail.</p>",
        subtype="html")
    return message


class SmtpMailer:
    """Sends through an SMTP server (STARTTLS and login when configured)."""

    def __init__(self, host, port, username="", password="", starttls=True, timeout=10):
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.starttls, self.timeout = starttls, timeout
        self.description = f"SMTP {host}:{port}" + (" with STARTTLS" if starttls else "")

    def send(self, message, link=None):
        """Deliver message (link is unused here); raises MailError when the server cannot be reached or refuses it."""
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"SMTP {self.host}:{self.port}: {exc}") from exc


class OutboxMailer:
    """Writes each mail as an .eml file into a folder and logs where it went (development)."""

    def __init__(self, folder):
        self.folder = os.path.abspath(folder)
        self.description = f"dev outbox folder {self.folder} (no SMTP_HOST set)"

    def send(self, message, link=None):
        """Write message to the outbox and log the link it carries; raises MailError when the folder is not writable."""
        try:
            os.makedirs(self.folder, exist_ok=True)
            name = utcnow().strftime("%Y%m%dT%H%M%S%f") + "-" + message["To"].replace("@", "_at_") + ".eml"
            path = os.path.join(self.folder, name)
            with open(path, "wb") as handle:
                handle.write(bytes(message))
        except OSError as exc:
            raise MailError(f"outbox {self.folder}: {exc}") from exc
        log.warning("DEV OUTBOX: mail to %s written to %s; link: %s", message["To"], path, link)
        return path


def mailer_from_config(config):
    """The mail transport the settings ask for."""
    if config["SMTP_HOST"]:
        return SmtpMailer(config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_USERNAME"],
                          config["SMTP_PASSWORD"], config["SMTP_STARTTLS"], config["SMTP_TIMEOUT"])
    return OutboxMailer(config["MAIL_OUTBOX"])
