"""Sign-in with OpenID Connect: the rules of a flow, from its start to the session it opens.

start: the authorization code flow with PKCE (S256), a `state` and a `nonce`, remembered (hashed state) in the
database for FLOW_TTL with a hash of the browser's cookie, so any process can finish it and only that browser.
callback: the flow used up once; the code exchanged (authlib's OAuth2Session) with the verifier; the ID token
checked (chat/auth/oidc_tokens.py); the account found by the provider's subject, or linked through a verified
address of a verified account, or left to create; a one-time hand-off code returned instead of tokens.
exchange: the hand-off code (single use, stored hashed) gives the session's tokens; a new account is created
there, with the username the person picks when the suggested one is taken. No Flask here.
"""
import re
import secrets
from datetime import timedelta

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from ..kernel import errors
from ..kernel.clock import utcnow
from ..users.repository import DuplicateUser
from .oidc_providers import FETCH_TIMEOUT, ProviderError, check_url
from .oidc_repository import DuplicateLink
from .oidc_tokens import check_id_token, invalid_state, oidc_refused, provider_unavailable
from .service import hash_token

FLOW_TTL = timedelta(minutes=10)  # from the start to the callback
HANDOFF_TTL = timedelta(seconds=60)  # from the callback to the client's exchange of the code
PENDING_TTL = timedelta(minutes=10)  # a new account's code, while the person picks a username
USERNAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


def suggested_username(claims):
    """A valid username from the provider's claims (preferred_username, nickname, the address), or None."""
    for claim in ("preferred_username", "nickname", "email", "name"):
        value = claims.get(claim)
        if isinstance(value, str):
            name = USERNAME_CHARS.sub("", value.split("@")[0])[:32]
            if len(name) >= 3:
                return name
    return None


class OidcService:
    """The providers' list, and start / callback / exchange of a sign-in."""

    def __init__(self, directory, repo, auth, user_repo, settings):
        self.directory = directory
        self.repo = repo
        self.auth = auth
        self.user_repo = user_repo
        self.public_url = settings["PUBLIC_URL"]

    def providers(self):
        """[{"name", "label"}] of the configured providers (no network)."""
        return [{"name": p.name, "label": p.label} for p in self.directory.providers.values()]

    def redirect_uri(self, name):
        """The callback URL registered at the provider for this client."""
        return f"{self.public_url}/auth/oidc/{name}/callback"

    def _provider(self, name):
        provider = self.directory.get(name)
        if provider is None:
            raise errors.not_found("No such sign-in provider.")
        return provider

    def _client(self, provider):
        return OAuth2Session(provider.client_id, provider.client_secret, scope=provider.scope,
                             redirect_uri=self.redirect_uri(provider.name), code_challenge_method="S256",
                             token_endpoint_auth_method=provider.token_auth)

    def start(self, name, browser):
        """The provider's authorization URL for a new flow bound to the browser's secret; raises not_found or
        provider_unavailable."""
        provider = self._provider(name)
        try:
            endpoint = self.directory.metadata(provider)["authorization_endpoint"]
        except ProviderError:
            raise provider_unavailable() from None
        state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
        self.repo.add_flow(hash_token(state), provider.name, nonce, verifier, hash_token(browser),
                           utcnow() + FLOW_TTL)
        url, _ = self._client(provider).create_authorization_url(endpoint, state=state, nonce=nonce,
                                                                 code_verifier=verifier)
        return url

    def callback(self, name, state, code, error, browser):
        """A one-time hand-off code for the sign-in the provider sent back. Raises not_found, invalid_state,
        oidc_refused, provider_unavailable, invalid_id_token, email_not_verified or email_taken; none of them
        creates anything."""
        provider = self._provider(name)
        flow = self.repo.take_flow(hash_token(state)) if state else None
        if not flow or flow["provider"] != provider.name or not browser or flow["browser"] != hash_token(browser):
            raise invalid_state()
        if error or not code:
            raise oidc_refused(error or "no code")
        try:
            token_endpoint = self.directory.metadata(provider)["token_endpoint"]
            check_url(token_endpoint)
            tokens = self._client(provider).fetch_token(token_endpoint, code=code, code_verifier=flow["code_verifier"],
                                                        timeout=FETCH_TIMEOUT, allow_redirects=False)
        except OAuthError as exc:
            raise oidc_refused(exc.error or "the code was not accepted") from None
        except (ProviderError, requests.RequestException, ValueError):
            raise provider_unavailable() from None
        try:
            claims = check_id_token(tokens.get("id_token"), provider, self.directory, flow["nonce"])
        except ProviderError:
            raise provider_unavailable() from None
        user_id, pending = self._account_for(provider, claims)
        handoff = secrets.token_urlsafe(32)
        ttl = PENDING_TTL if pending else HANDOFF_TTL
        self.repo.add_handoff(hash_token(handoff), utcnow() + ttl, user_id=user_id, pending=pending)
        return handoff

    def _account_for(self, provider, claims):
        """(user id, None) of the account to sign in, or (None, the new account's claims)."""
        subject = claims["sub"]
        linked = self.repo.linked_user(provider.name, subject)
        if linked:
            user = self.user_repo.by_id(linked)
            if user is not None and self.auth.is_live(user):
                return str(user["_id"]), None
            if user is not None:
                raise errors.forbidden("This account is being deleted.")
            self.repo.unlink(provider.name, subject)  # its account is gone: sign in as new
        email = claims.get("email")
        if not isinstance(email, str) or "@" not in email or len(email) > 254:
            raise errors.ApiError("email_not_verified", "The identity provider gave no email address.", 403)
        if claims.get("email_verified") is not True and not provider.trust_email:
            raise errors.ApiError("email_not_verified", "The identity provider has not verified this email "
                                  "address; verify it there first.", 403)
        self.auth.taken(email=email)  # an expired unverified holder of the address is removed first
        user = self.user_repo.by_email(email)
        if user is None:
            return None, {"provider": provider.name, "subject": subject, "email": email.lower(),
                          "suggested": suggested_username(claims)}
        if not (user.get("verified") and self.auth.is_live(user)):  # nobody proved this account owns the address
            raise errors.conflict("email_taken", "An account with this address exists but has not confirmed it; "
                                  "confirm it from its mail, then sign in here again.")
        try:
            self.repo.link(provider.name, subject, user["_id"])
        except DuplicateLink:  # a racing callback linked it first
            pass
        return str(user["_id"]), None

    def exchange(self, code, username=None, user_agent=None, address=None):
        """(user, session_id, refresh_jti) for a hand-off code, used up. Raises invalid_token (unknown, used or
        expired code) or, for a new account, username_taken (the code stays usable: pick another) or
        email_taken."""
        code_hash = hash_token(code)
        handoff = self.repo.claim_handoff(code_hash)
        if handoff is None:
            raise errors.invalid_token("This sign-in code is unknown, was used already, or has expired.")
        if handoff["user_id"]:
            user = self.user_repo.by_id(handoff["user_id"])
        else:
            user = self._create(code_hash, handoff["pending"], username)
        if user is None or not self.auth.is_live(user):
            raise errors.invalid_token("This account is gone.")
        return (user, *self.auth.open_session(user, user_agent, address))

    def _create(self, code_hash, pending, username):
        name = username or pending["suggested"]
        if not name or self.auth.taken(username=name) == "username":
            self.repo.release_handoff(code_hash)
            raise errors.conflict("username_taken", f"The username {name} is taken: choose another." if name
                                  else "Choose a username.")
        try:
            user = self.user_repo.create(name, pending["email"], None)
        except DuplicateUser as exc:
            if exc.field == "username":
                self.repo.release_handoff(code_hash)
                raise errors.conflict("username_taken", f"The username {name} is taken: choose another.") from None
            raise errors.conflict("email_taken", "An account with this address was created meanwhile.") from None
        user = self.user_repo.mark_verified(user["_id"])  # the provider verified the address
        try:
            self.repo.link(pending["provider"], pending["subject"], user["_id"])
        except DuplicateLink:  # another sign-in of the same subject created its account first
            self.user_repo.remove(user["_id"])
            return self.user_repo.by_id(self.repo.linked_user(pending["provider"], pending["subject"]))
        return user

    def forget_user(self, user_id):
        """A deleted account's links and hand-offs."""
        self.repo.remove_user(user_id)


def build_oidc(config, db, auth, user_repo):
    """The service for the providers of OIDC_PROVIDERS; raises ValueError (the server refuses to start) when the
    setting is malformed."""
    from .oidc_providers import ProviderDirectory, parse_providers
    from .oidc_repository import OidcRepository
    directory = ProviderDirectory(parse_providers(config.get("OIDC_PROVIDERS")))
    return OidcService(directory, OidcRepository(db), auth, user_repo, config)
