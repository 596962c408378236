"""Outgoing mail: real SMTP when SMTP_HOST is set, otherwise a dev outbox folder."""
import logging
import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from html import escape

from ..kernel.clock import utcnow

log = logging.getLogger(__name__)


class MailError(Exception):
    """The mail could not be handed to the transport."""


def report(mailer, outcome):
    """Count one mail handed to mailer: "sent", or "failed" (it raised MailError). Call it wherever a mail is
    sent; chat/process/metrics.py sets `mailer.on_outcome` (chat_mails_total), and without it this does nothing."""
    listener = getattr(mailer, "on_outcome", None)
    if listener is not None:
        listener(outcome)


def lifetime(seconds):
    """How long a link works, in words: "45 minutes", "1 hour", "24 hours", "7 days"."""
    seconds = int(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0 or unit == "minute":
            count = max(1, round(seconds / size))
            return f"{count} {unit}{'' if count == 1 else 's'}"


def compose(sender, recipient, subject, paragraphs, link=None, action=None):
    """A mail in plain text and HTML: paragraphs of text, and the link (as a button-like anchor named action in
    HTML) after the first one."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="chat.local")
    text = list(paragraphs)
    html = [f"<p>{escape(p)}</p>" for p in paragraphs]
    if link:
        text.insert(2, link)
        html.insert(2, f'<p><a href="{escape(link)}">{escape(action)}</a></p>')
    message.set_content("\n\n".join(text) + "\n")
    message.add_alternative("".join(html), subtype="html")
    return message


def verification_message(sender, recipient, username, link, ttl_hours):
    """The verification mail, in plain text and HTML."""
    return compose(sender, recipient, "Confirm your email address", [
        f"Hello {username},", "Confirm your email address by opening this link:",
        f"The link works for {ttl_hours} hours. If you did not sign up, ignore this mail."],
        link, "Confirm your email address")


def reset_message(sender, recipient, username, link, ttl_seconds):
    """The password reset mail: a single-use link."""
    return compose(sender, recipient, "Reset your password", [
        f"Hello {username},", "Someone (we hope you) asked to reset the password of your account. "
        "Choose a new one by opening this link:",
        f"The link works once, for {lifetime(ttl_seconds)}; a newer link replaces it. Setting a new password signs "
        "you out everywhere. If you did not ask for this, ignore this mail: your password stays as it is."],
        link, "Choose a new password")


def email_change_message(sender, recipient, username, link, ttl_seconds):
    """To the new address: confirm it becomes the account's address."""
    return compose(sender, recipient, "Confirm your new email address", [
        f"Hello {username},", "Confirm that this becomes your account's email address by opening this link:",
        f"The link works for {lifetime(ttl_seconds)}. Until it is opened, your account keeps its old address. "
        "If you did not ask for this, ignore this mail."],
        link, "Confirm your new address")


def email_change_notice(sender, recipient, username, new_address, link, client_url):
    """To the old address: someone asked to move the account to another address; link cancels it."""
    return compose(sender, recipient, "Your email address is being changed", [
        f"Hello {username},",
        f"Someone signed in to your account asked to change its email address to {new_address}. The change "
        "happens only when that address is confirmed from the link mailed to it. To cancel it, open this link:",
        f"If this was not you, cancel it, then sign in at {client_url} and change your password now: that ends "
        "every other session of your account, and every link mailed before stops working."],
        link, "Cancel the change")


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
        log.info("DEV OUTBOX: mail to %s written to %s; link: %s", message["To"], path, link)
        return path


def mailer_from_config(config):
    """The mail transport the settings ask for."""
    if config["SMTP_HOST"]:
        return SmtpMailer(config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_USERNAME"],
                          config["SMTP_PASSWORD"], config["SMTP_STARTTLS"], config["SMTP_TIMEOUT"])
    return OutboxMailer(config["MAIL_OUTBOX"])
