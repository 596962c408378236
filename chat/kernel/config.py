"""Settings, read from the environment with safe defaults for everything but secrets.

`.env.example` lists every key with its default. `Config` is the development default,
`TestingConfig` tightens what tests need, `ProductionConfig` refuses to start with
the development secrets or a wildcard CORS origin.
"""
import os
from datetime import timedelta

DEV_SECRET = "dev-only-secret-change-me"
DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-32b"


def _bool(value):
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _list(value):
    return [item.strip() for item in str(value).split(",") if item.strip()]


def _served_url(host, port):
    """http://HOST:PORT as a browser opens it: a wildcard host (0.0.0.0, ::) as localhost, IPv6 in brackets."""
    if host in ("", "0.0.0.0", "::"):
        host = "localhost"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _thresholds(value):
    """GC_THRESHOLDS: one to three whole numbers ≥ 0, comma-separated (gc.set_threshold's), or empty."""
    items = _list(value)
    try:
        numbers = tuple(int(item) for item in items)
    except ValueError:
        numbers = ()
    if len(numbers) != len(items) or len(numbers) > 3 or any(n < 0 for n in numbers):
        raise ValueError(f"GC_THRESHOLDS must be one to three whole numbers >= 0, comma-separated, not {value!r}")
    return numbers


class Config:
    """Development defaults: one process, the local database, dev mail outbox."""

    TESTING = False

    def __init__(self, environ=None):
        env = os.environ if environ is None else environ
        get = env.get

        self.CHAT_ENV = get("CHAT_ENV", "development")
        self.SECRET_KEY = get("SECRET_KEY", DEV_SECRET)
        self.LOG_LEVEL = get("LOG_LEVEL", "INFO")
        # text: `time LEVEL logger: message`; json: one JSON object per line (chat/process/logs.py).
        self.LOG_FORMAT = get("LOG_FORMAT", "text")
        # The database driver's loggers (pymongo): WARNING whatever LOG_LEVEL, since its DEBUG command log carries
        # documents (hashes, message text, keys). DEBUG only to debug the driver, never in production
        # (chat/process/logs.py).
        self.LOG_DRIVER = get("LOG_DRIVER", "WARNING")

        # Server
        self.HOST = get("HOST", "127.0.0.1")
        self.PORT = int(get("PORT", "5000"))
        self.ASYNC_MODE = get("ASYNC_MODE", "gevent")
        # Unset or empty: the address `python wsgi.py` announces ("listening on http://HOST:PORT"), so the links in
        # mails open the client on the origin the user already has open (its tabs share the session per origin).
        self.PUBLIC_URL = (get("PUBLIC_URL") or _served_url(self.HOST, self.PORT)).rstrip("/")
        self.CLIENT_URL = get("CLIENT_URL", "").rstrip("/")
        # Origins allowed for browsers (CORS and Socket.IO); empty means same origin only.
        self.CORS_ORIGINS = _list(get("CORS_ORIGINS", self.CLIENT_URL))
        # The server's operators (user ids or usernames, comma-separated): they see and resolve reports of
        # personal-chat messages (GET /admin/reports, chat/moderation/reports.py).
        self.ADMIN_USERS = _list(get("ADMIN_USERS", ""))
        # Proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted (0: none; nginx: 1).
        self.PROXY_HOPS = int(get("PROXY_HOPS", "0"))
        self.MAX_CONTENT_LENGTH = int(get("MAX_BODY_BYTES", str(64 * 1024)))
        self.SOCKET_MAX_PACKET_BYTES = int(get("SOCKET_MAX_PACKET_BYTES", str(64 * 1024)))
        self.SOCKET_PING_INTERVAL = int(get("SOCKET_PING_INTERVAL", "25"))
        self.SOCKET_PING_TIMEOUT = int(get("SOCKET_PING_TIMEOUT", "20"))
        # A connection with more packets than this waiting to be sent is closed (a client that stopped reading).
        self.SOCKET_MAX_QUEUED = int(get("SOCKET_MAX_QUEUED", "1000"))
        self.SOCKET_SLOW_CHECK_INTERVAL = float(get("SOCKET_SLOW_CHECK_INTERVAL", "5"))
        # Sockets (namespace connections, every namespace) one user may hold open at once, on every process; 0: no cap.
        self.SOCKET_MAX_PER_USER = int(get("SOCKET_MAX_PER_USER", "60"))
        # Seconds a client has to send a request line and headers (python wsgi.py under gevent); 0: no limit.
        self.HTTP_HEADER_TIMEOUT = float(get("HTTP_HEADER_TIMEOUT", "10"))
        # Accept WebSocket permessage-deflate when a client offers it (chat/process/wscompression.py); off as in Node
        # socket.io.
        self.WS_COMPRESSION = _bool(get("WS_COMPRESSION", "false"))
        # The cyclic garbage collector of a served process (chat/process/gctune.py, applied by wsgi.py): one full
        # collection and gc.freeze() once the app is built, and gc.set_threshold(*GC_THRESHOLDS) (empty: Python's).
        self.GC_FREEZE = _bool(get("GC_FREEZE", "true"))
        self.GC_THRESHOLDS = _thresholds(get("GC_THRESHOLDS", "5000,20,100"))

        # Storage: a MongoDB server. With no MONGO_URI, `wsgi.py` starts a local one with its data in DATA_DIR.
        self.MONGO_URI = get("MONGO_URI", "")
        self.MONGO_DB = get("MONGO_DB", "chat")
        self.MONGO_TIMEOUT_MS = int(get("MONGO_TIMEOUT_MS", "2000"))
        # Connections per process to the database (pymongo's maxPoolSize; empty: its default, 100). wsgi.py
        # makes it 1 for the local SecantusDB it starts: docs/performance.md, "Connection pool size".
        self.MONGO_POOL_SIZE = int(get("MONGO_POOL_SIZE") or "100")
        self.DATA_DIR = get("DATA_DIR", os.path.join("var", "db"))
        self.REDIS_URL = get("REDIS_URL", "")
        # Seconds a connection counts as online without a heartbeat from its process (crash recovery).
        self.PRESENCE_TTL = int(get("PRESENCE_TTL", "60"))

        # Tokens
        self.JWT_SECRET_KEY = get("JWT_SECRET_KEY", DEV_JWT_SECRET)
        self.JWT_ACCESS_TOKEN_EXPIRES = timedelta(seconds=int(get("ACCESS_TOKEN_TTL", "900")))
        self.JWT_REFRESH_TOKEN_EXPIRES = timedelta(seconds=int(get("REFRESH_TOKEN_TTL", str(30 * 86400))))
        self.JWT_TOKEN_LOCATION = ["headers"]
        self.VERIFY_TOKEN_TTL = timedelta(seconds=int(get("VERIFY_TOKEN_TTL", str(24 * 3600))))
        self.RESET_TOKEN_TTL = int(get("RESET_TOKEN_TTL", "3600"))
        # Two-factor sign-in (chat/auth/twofactor.py): the key the TOTP secrets are encrypted with (empty: derived
        # from JWT_SECRET_KEY; changing it leaves enrolled accounts with their recovery codes only), the name
        # authenticator apps show, and the seconds an mfa_token from /login lasts.
        self.TOTP_ENCRYPTION_KEY = get("TOTP_ENCRYPTION_KEY", "")
        self.TOTP_ISSUER = get("TOTP_ISSUER", "Chat")
        self.MFA_TOKEN_TTL = int(get("MFA_TOKEN_TTL", "300"))
        # Single sign-on (chat/auth/oidc*.py): a JSON list of OpenID Connect providers, each {"name", "issuer",
        # "client_id", "client_secret"}, optionally "label", "scope", "token_auth", "trust_email" (docs/operations.md).
        self.OIDC_PROVIDERS = get("OIDC_PROVIDERS", "")
        # Accounts not verified within UNVERIFIED_TTL seconds are removed: checked at signup, and swept every
        # ACCOUNT_SWEEP_INTERVAL seconds (with stalled account deletions) by each process; 0: no sweep.
        self.UNVERIFIED_TTL = int(get("UNVERIFIED_TTL", str(7 * 86400)))
        self.ACCOUNT_SWEEP_INTERVAL = float(get("ACCOUNT_SWEEP_INTERVAL", "300"))

        # Mail
        self.SMTP_HOST = get("SMTP_HOST", "")
        self.SMTP_PORT = int(get("SMTP_PORT", "587"))
        self.SMTP_USERNAME = get("SMTP_USERNAME", "")
        self.SMTP_PASSWORD = get("SMTP_PASSWORD", "")
        self.SMTP_STARTTLS = _bool(get("SMTP_STARTTLS", "true"))
        self.SMTP_TIMEOUT = float(get("SMTP_TIMEOUT", "10"))
        self.MAIL_FROM = get("MAIL_FROM", "Chat <no-reply@localhost>")
        self.MAIL_OUTBOX = get("MAIL_OUTBOX", os.path.join("var", "outbox"))
        # Requests queue mails in the database (`mail_outbox`); a worker in each process sends them and retries
        # a failed one after MAIL_RETRY_DELAY seconds, doubling, at most MAIL_MAX_ATTEMPTS times (chat/auth/outbox.py).
        self.MAIL_WORKER = _bool(get("MAIL_WORKER", "true"))
        self.MAIL_POLL_INTERVAL = float(get("MAIL_POLL_INTERVAL", "5"))
        self.MAIL_RETRY_DELAY = float(get("MAIL_RETRY_DELAY", "30"))
        self.MAIL_MAX_ATTEMPTS = int(get("MAIL_MAX_ATTEMPTS", "8"))
        self.MAIL_RETENTION = int(get("MAIL_RETENTION", str(7 * 86400)))

        # Rate limits (Flask-Limiter syntax); storage is Redis when REDIS_URL is set.
        self.RATELIMIT_ENABLED = _bool(get("RATELIMIT_ENABLED", "true"))
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_HEADERS_ENABLED = True
        # If the limit storage (Redis) fails, let requests through rather than fail them.
        self.RATELIMIT_SWALLOW_ERRORS = True
        self.RATE_LIMIT_SIGNUP = get("RATE_LIMIT_SIGNUP", "10/hour")
        self.RATE_LIMIT_LOGIN_IP = get("RATE_LIMIT_LOGIN_IP", "30/minute")
        self.RATE_LIMIT_LOGIN_ACCOUNT = get("RATE_LIMIT_LOGIN_ACCOUNT", "10/minute")
        # POST /login/2fa: every request per client address; wrong codes per account.
        self.RATE_LIMIT_2FA_IP = get("RATE_LIMIT_2FA_IP", "30/minute")
        self.RATE_LIMIT_2FA_ACCOUNT = get("RATE_LIMIT_2FA_ACCOUNT", "5/minute;20/hour")
        self.RATE_LIMIT_RESEND_IP = get("RATE_LIMIT_RESEND_IP", "10/hour")
        self.RATE_LIMIT_RESEND_ADDRESS = get("RATE_LIMIT_RESEND_ADDRESS", "3/hour")
        self.RATE_LIMIT_REFRESH = get("RATE_LIMIT_REFRESH", "60/minute")
        self.RATE_LIMIT_FORGOT_IP = get("RATE_LIMIT_FORGOT_IP", "10/hour")
        self.RATE_LIMIT_FORGOT_ADDRESS = get("RATE_LIMIT_FORGOT_ADDRESS", "3/hour")
        self.RATE_LIMIT_RESET_IP = get("RATE_LIMIT_RESET_IP", "10/hour")
        # Calls that check the account's password (/me/password, /me/email, DELETE /me), per account.
        self.RATE_LIMIT_PASSWORD_CHECK = get("RATE_LIMIT_PASSWORD_CHECK", "10/minute")
        self.RATE_LIMIT_EMAIL_CHANGE_ADDRESS = get("RATE_LIMIT_EMAIL_CHANGE_ADDRESS", "3/hour")  # per new address
        self.RATE_LIMIT_OIDC_IP = get("RATE_LIMIT_OIDC_IP", "30/minute")  # each of the OIDC start, callback, exchange
        # Socket events, per connection and per user (across tabs and processes); see chat/sockets/ratelimit.py.
        self.SOCKET_LIMIT_MESSAGE = get("SOCKET_LIMIT_MESSAGE", "30/10 seconds")
        self.SOCKET_LIMIT_MESSAGE_USER = get("SOCKET_LIMIT_MESSAGE_USER", "60/10 seconds")
        self.SOCKET_LIMIT_TYPING = get("SOCKET_LIMIT_TYPING", "20/10 seconds")
        self.SOCKET_LIMIT_TYPING_USER = get("SOCKET_LIMIT_TYPING_USER", "40/10 seconds")
        self.SOCKET_LIMIT_ADMIN = get("SOCKET_LIMIT_ADMIN", "30/minute")
        self.SOCKET_LIMIT_ADMIN_USER = get("SOCKET_LIMIT_ADMIN_USER", "60/minute")
        self.SOCKET_LIMIT_FETCH = get("SOCKET_LIMIT_FETCH", "60/minute")
        self.SOCKET_LIMIT_FETCH_USER = get("SOCKET_LIMIT_FETCH_USER", "120/minute")
        self.SOCKET_LIMIT_OTHER = get("SOCKET_LIMIT_OTHER", "120/minute")
        self.SOCKET_LIMIT_OTHER_USER = get("SOCKET_LIMIT_OTHER_USER", "240/minute")
        # Per client address, before any token is checked: namespace connects, and Engine.IO sessions opened.
        self.SOCKET_CONNECT_RATE_IP = get("SOCKET_CONNECT_RATE_IP", "120/minute")
        self.SOCKET_HANDSHAKE_RATE_IP = get("SOCKET_HANDSHAKE_RATE_IP", "60/minute")

        # Chat limits from the contract
        self.CONTENT_MAX_CHARS = int(get("CONTENT_MAX_CHARS", "4000"))
        self.GROUP_NAME_MAX = int(get("GROUP_NAME_MAX", "100"))
        self.GROUP_DESCRIPTION_MAX = int(get("GROUP_DESCRIPTION_MAX", "500"))
        self.GROUP_MAX_MEMBERS = int(get("GROUP_MAX_MEMBERS", "256"))
        # Personal access tokens and bots (chat/tokens/, chat/bots/): how many one account may hold.
        self.TOKENS_PER_USER = int(get("TOKENS_PER_USER", "50"))
        self.BOTS_PER_USER = int(get("BOTS_PER_USER", "20"))

        # Attachments (chat/files/): one upload's bytes (POST /files only; every other body keeps MAX_BODY_BYTES),
        # a user's stored total, an image's pixels, how long a signed file URL lives (seconds), and how often each
        # process deletes uploads never attached within 24 h (seconds; 0: never).
        self.FILE_MAX_BYTES = int(get("FILE_MAX_BYTES", str(10 * 1024 * 1024)))
        self.FILE_QUOTA_BYTES = int(get("FILE_QUOTA_BYTES", str(1024 ** 3)))
        self.FILE_MAX_PIXELS = int(get("FILE_MAX_PIXELS", "20000000"))
        # Images are decoded off the event loop by FILE_DECODE_WORKERS threads per process, with FILE_DECODE_QUEUE
        # more uploads waiting (503 beyond), each within FILE_DECODE_MAX_BYTES of memory (415 above it; a WebP
        # takes about 16 bytes per pixel, a PNG 4, a JPEG a 64th of that for its thumbnail).
        self.FILE_DECODE_WORKERS = int(get("FILE_DECODE_WORKERS", "1"))
        self.FILE_DECODE_QUEUE = int(get("FILE_DECODE_QUEUE", "4"))
        self.FILE_DECODE_MAX_BYTES = int(get("FILE_DECODE_MAX_BYTES", str(256 * 1024 * 1024)))
        self.FILE_URL_TTL = int(get("FILE_URL_TTL", "600"))
        self.FILE_SWEEP_INTERVAL = float(get("FILE_SWEEP_INTERVAL", "3600"))

        # Password hashing (argon2id); tests lower the cost.
        self.ARGON2_TIME_COST = int(get("ARGON2_TIME_COST", "3"))
        self.ARGON2_MEMORY_COST = int(get("ARGON2_MEMORY_COST", str(64 * 1024)))
        self.ARGON2_PARALLELISM = int(get("ARGON2_PARALLELISM", "1"))

        # GET /metrics answers only with `Authorization: Bearer <METRICS_TOKEN>`; empty: off (404).
        self.METRICS_TOKEN = get("METRICS_TOKEN", "")

        # Notifications for people who are away (chat/notify/). Web Push: the VAPID private key (PEM or base64url;
        # empty: one made on first use and kept in the database) and the contact pushed with it (empty: mailto:
        # MAIL_FROM's address); PUSH_WORKERS background tasks per process push, each network step waiting at most
        # PUSH_TIMEOUT seconds, from a queue of at most PUSH_QUEUE_MAX messages. PUSH_ALLOW_INSECURE_LOCAL (tests
        # only, refused in production) lets subscriptions use http and loopback addresses.
        self.VAPID_PRIVATE_KEY = get("VAPID_PRIVATE_KEY", "")
        self.VAPID_SUBJECT = get("VAPID_SUBJECT", "")
        self.PUSH_TIMEOUT = float(get("PUSH_TIMEOUT", "5"))
        self.PUSH_WORKERS = int(get("PUSH_WORKERS", "2"))
        self.PUSH_QUEUE_MAX = int(get("PUSH_QUEUE_MAX", "10000"))
        self.PUSH_ALLOW_INSECURE_LOCAL = _bool(get("PUSH_ALLOW_INSECURE_LOCAL", "false"))
        # Fairness (chat/notify/worker.py): one user's pushes of one message may take PUSH_USER_BUDGET seconds and
        # all pushes of one message PUSH_MESSAGE_BUDGET before the rest are put back in the queue; a host (per
        # process) that timed out PUSH_HOST_FAILURES times in a row is skipped for PUSH_HOST_COOLDOWN seconds.
        self.PUSH_USER_BUDGET = float(get("PUSH_USER_BUDGET", "15"))
        self.PUSH_MESSAGE_BUDGET = float(get("PUSH_MESSAGE_BUDGET", "30"))
        self.PUSH_HOST_FAILURES = int(get("PUSH_HOST_FAILURES", "3"))
        self.PUSH_HOST_COOLDOWN = float(get("PUSH_HOST_COOLDOWN", "120"))
        # Email digests: NOTIFY_EMAIL_DELAY seconds after a message reached someone away, at most one per
        # NOTIFY_EMAIL_INTERVAL seconds; each process looks for due digests every NOTIFY_DIGEST_POLL seconds (0: never).
        self.NOTIFY_EMAIL_DELAY = int(get("NOTIFY_EMAIL_DELAY", "900"))
        self.NOTIFY_EMAIL_INTERVAL = int(get("NOTIFY_EMAIL_INTERVAL", "21600"))
        self.NOTIFY_DIGEST_POLL = float(get("NOTIFY_DIGEST_POLL", "60"))

        # Webhooks (chat/webhooks/): each process looks for due deliveries every WEBHOOK_POLL seconds (0: never);
        # a POST waits at most WEBHOOK_TIMEOUT per network step (3 x in all); a failed delivery is retried after
        # WEBHOOK_RETRY_BASE seconds, doubling up to WEBHOOK_RETRY_MAX; a receiver failing for WEBHOOK_DISABLE_AFTER
        # seconds is disabled and its owner mailed. Link previews (chat/previews/) are kept PREVIEW_CACHE_SECONDS;
        # a proxied image may have PREVIEW_IMAGE_MAX_BYTES. WEBHOOK_ALLOW_INSECURE_LOCAL (tests only, refused in
        # production) lets webhook URLs and previewed pages use http and loopback addresses.
        self.WEBHOOK_POLL = float(get("WEBHOOK_POLL", "1"))
        self.WEBHOOK_TIMEOUT = float(get("WEBHOOK_TIMEOUT", "5"))
        self.WEBHOOK_RETRY_BASE = float(get("WEBHOOK_RETRY_BASE", "5"))
        self.WEBHOOK_RETRY_MAX = float(get("WEBHOOK_RETRY_MAX", "600"))
        self.WEBHOOK_DISABLE_AFTER = float(get("WEBHOOK_DISABLE_AFTER", str(24 * 3600)))
        self.WEBHOOK_ALLOW_INSECURE_LOCAL = _bool(get("WEBHOOK_ALLOW_INSECURE_LOCAL", "false"))
        self.PREVIEW_CACHE_SECONDS = int(get("PREVIEW_CACHE_SECONDS", "3600"))
        self.PREVIEW_IMAGE_MAX_BYTES = int(get("PREVIEW_IMAGE_MAX_BYTES", str(2 * 1024 * 1024)))
        # Data governance (chat/governance/). Messages older than RETENTION_DAYS (0: kept forever; a group may set
        # fewer days) become empty placeholders; one process at a time sweeps every RETENTION_SWEEP_INTERVAL
        # seconds (0: never), RETENTION_BATCH messages per step with RETENTION_PAUSE seconds between steps.
        self.RETENTION_DAYS = int(get("RETENTION_DAYS", "0"))
        self.RETENTION_SWEEP_INTERVAL = float(get("RETENTION_SWEEP_INTERVAL", "3600"))
        self.RETENTION_BATCH = int(get("RETENTION_BATCH", "200"))
        self.RETENTION_PAUSE = float(get("RETENTION_PAUSE", "0.05"))
        # POST /me/export: one running export per user and EXPORTS_PER_DAY a day; the mailed link works once, for
        # EXPORT_LINK_TTL seconds; each process looks for exports to build every EXPORT_POLL_INTERVAL seconds (0:
        # never), and an export is deleted EXPORT_KEEP seconds after it was built.
        self.EXPORTS_PER_DAY = int(get("EXPORTS_PER_DAY", "3"))
        self.EXPORT_LINK_TTL = int(get("EXPORT_LINK_TTL", "86400"))
        self.EXPORT_POLL_INTERVAL = float(get("EXPORT_POLL_INTERVAL", "10"))
        self.EXPORT_KEEP = int(get("EXPORT_KEEP", str(7 * 86400)))

    def check(self):
        """Raise RuntimeError when the settings are unsafe for this environment."""


class TestingConfig(Config):
    """Fast hashing, no rate limits unless a test turns them on, a throwaway outbox."""

    TESTING = True

    def __init__(self, environ=None):
        super().__init__(environ)
        self.CHAT_ENV = "testing"
        self.ARGON2_TIME_COST = 1
        self.ARGON2_MEMORY_COST = 1024
        self.RATELIMIT_ENABLED = False
        self.SOCKET_SLOW_CHECK_INTERVAL = 0  # no background thread per test app
        self.ACCOUNT_SWEEP_INTERVAL = 0  # nor an account sweep: tests sweep when they mean to
        self.PUSH_WORKERS = 0  # nor push workers and a digest loop: tests drain them when they mean to
        self.NOTIFY_DIGEST_POLL = 0
        self.WEBHOOK_POLL = 0  # nor a webhook delivery loop: tests deliver when they mean to
        self.FILE_SWEEP_INTERVAL = 0  # nor an upload sweep
        self.RETENTION_SWEEP_INTERVAL = 0  # nor a retention sweep or an export builder
        self.EXPORT_POLL_INTERVAL = 0
        self.MAIL_WORKER = False  # nor a mail worker: a test app sends the mails a request queued after its response
        self.MONGO_URI = ""  # the test suite passes its own server's
        self.REDIS_URL = ""
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.SMTP_HOST = ""


class ProductionConfig(Config):
    """Production refuses development secrets and wildcard origins."""

    def check(self):
        problems = []
        if self.SECRET_KEY == DEV_SECRET:
            problems.append("SECRET_KEY is the development default")
        if self.JWT_SECRET_KEY == DEV_JWT_SECRET or len(self.JWT_SECRET_KEY) < 32:
            problems.append("JWT_SECRET_KEY is the development default or shorter than 32 characters")
        if "*" in self.CORS_ORIGINS:
            problems.append("CORS_ORIGINS must list origins, not '*'")
        if self.PUSH_ALLOW_INSECURE_LOCAL:
            problems.append("PUSH_ALLOW_INSECURE_LOCAL is a test setting")
        if self.WEBHOOK_ALLOW_INSECURE_LOCAL:
            problems.append("WEBHOOK_ALLOW_INSECURE_LOCAL is a test setting")
        if problems:
            raise RuntimeError("refusing to start in production: " + "; ".join(problems))


def config_for(environ=None):
    """The Config class named by CHAT_ENV (development, testing, production)."""
    env = os.environ if environ is None else environ
    name = env.get("CHAT_ENV", "development")
    return {"production": ProductionConfig, "testing": TestingConfig}.get(name, Config)(env)
