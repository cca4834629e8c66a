"""Credentials, one provider per security scheme type (http basic/bearer/other, apiKey in header, query or
cookie, oauth2, openIdConnect), chosen by the operation's security requirements.

Credentials are given by scheme name: `Client(spec, auth={"bearerAuth": "token", "basic": ("user", "pw"),
"cookieKey": "k", "oauth": OAuth2ClientCredentials(client_id, client_secret)})`; `api_key=` fills every
scheme that takes one secret string. A provider marks the header, query parameter or cookie it fills as
secret, so the request's repr and every message redact it by construction.

A call whose requirements none of the configured credentials can meet raises `MissingCredentialsError`
before anything is sent, unless the operation allows anonymous access (an empty requirement `{}`).
"""

from __future__ import annotations

import base64
import threading
import time
import weakref
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Awaitable, Callable, ClassVar, Sequence, Union
from urllib.parse import quote, urlencode

from .errors import AuthenticationError, ConfigurationError, LagoDynError, MissingCredentialsError
from .wire import WireRequest, WireResponse

if TYPE_CHECKING:
    import asyncio

#: A token: the string itself, or a callable returning it (called on every request: it may refresh).
Token = Union[str, Callable[[], str]]
Credential = Union[str, Callable[[], str], tuple, "OAuth2ClientCredentials"]


class Secret:
    """A credential value whose repr never shows it (a str subclass would leak through f-strings)."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('<redacted>')"

    __str__ = __repr__


def check_credential_text(value: str, where: str, error: type[LagoDynError] = ConfigurationError) -> None:
    """A credential goes into a header or URL as it is: refuse what HTTP cannot carry, without echoing it.
    A credential given to the client is a `ConfigurationError`; one obtained during a call (a token source,
    a token endpoint) is an `AuthenticationError`."""
    if any(character in value for character in "\r\n\0"):
        raise error(f"the credential for {where} contains a line break or NUL (read from a file? strip it)")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise error(f"the credential for {where} has characters an HTTP header cannot carry "
                    "(outside Latin-1)") from None


@dataclass
class Applied:
    """What providers add to a request: headers, query pairs (encoded), cookies, and which are secret."""

    headers: dict[str, str] = field(default_factory=dict)
    query: list[str] = field(default_factory=list)
    cookies: list[str] = field(default_factory=list)
    secret_headers: set[str] = field(default_factory=set)
    secret_query: set[str] = field(default_factory=set)


class Provider:
    """Fills one security scheme into a request. Each subclass serves one kind of scheme, a row of
    `PROVIDERS`: `make` builds it from the credential given for a scheme of that kind (None when the
    credential does not fit, say a str for http basic), `describe` names the scheme in a
    missing-credentials message, and `one_secret` says whether `api_key=` (one secret string) fills it."""

    one_secret: ClassVar[bool] = True

    @classmethod
    def make(cls, name: str, scheme: Mapping[str, Any], credential: Any,
             scopes: list[str]) -> tuple[Provider, TokenFetch | None] | None:
        raise NotImplementedError

    @staticmethod
    def describe(scheme: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def apply(self, applied: Applied) -> None:
        raise NotImplementedError

    @property
    def fixed(self) -> bool:
        """Whether it adds the same to every request: no callable is asked for a token (a str token was
        checked when the client was made), so its result can be worked out once and reused."""
        return not callable(getattr(self, "token", None))


def _percent(text: str) -> str:
    """Every byte but the unreserved characters percent-encoded (RFC 3986 §2.3): a credential in a query,
    a cookie or a form stays one value whatever it holds (`&`, `=`, `;`, `/`, `+`)."""
    return quote(text, safe="")


def _basic(pair: str) -> str:
    """`Basic <base64 of user:password in UTF-8>` (RFC 7617 §2.1: the charset a server may announce is UTF-8)."""
    return "Basic " + base64.b64encode(pair.encode()).decode()


def _token_text(token: Token, scheme_name: str) -> str:
    text = token() if callable(token) else token
    if not isinstance(text, str):
        raise AuthenticationError(f"the token source for {scheme_name!r} returned {type(text).__name__}, not str")
    check_credential_text(text, scheme_name, AuthenticationError)
    return text


def _is_token(credential: Any) -> bool:
    """A str, or a callable that returns one on each request."""
    return isinstance(credential, str) or callable(credential)


def _describe_http(scheme: Mapping[str, Any]) -> str:
    return f"http {scheme.get('scheme', '')}".strip()


@dataclass
class HttpAuthorization(Provider):
    """`Authorization: <Scheme> <token>`: http bearer, or any other http scheme but basic, from a token."""

    scheme_name: str
    auth_scheme: str
    token: Token = field(repr=False)

    @classmethod
    def make(cls, name: str, scheme: Mapping[str, Any], credential: Any,
             scopes: list[str]) -> tuple[Provider, TokenFetch | None] | None:
        if not _is_token(credential):
            return None
        label = "Bearer" if _http_scheme(scheme) == "bearer" else str(scheme.get("scheme"))
        return cls(name, label, credential), None

    describe = staticmethod(_describe_http)

    def apply(self, applied: Applied) -> None:
        applied.headers["Authorization"] = f"{self.auth_scheme} {_token_text(self.token, self.scheme_name)}"
        applied.secret_headers.add("authorization")


@dataclass
class HttpBasic(Provider):
    """`Authorization: Basic base64(user:password)` from a `(user, password)` pair."""

    username: str = field(repr=False)
    password: str = field(repr=False)
    one_secret: ClassVar[bool] = False  # a pair, not one string

    @classmethod
    def make(cls, name: str, scheme: Mapping[str, Any], credential: Any,
             scopes: list[str]) -> tuple[Provider, TokenFetch | None] | None:
        if isinstance(credential, tuple) and len(credential) == 2:
            return cls(str(credential[0]), str(credential[1])), None
        return None

    describe = staticmethod(_describe_http)

    def apply(self, applied: Applied) -> None:
        applied.headers["Authorization"] = _basic(f"{self.username}:{self.password}")
        applied.secret_headers.add("authorization")


@dataclass
class ApiKey(Provider):
    """An apiKey scheme: the token under the scheme's `name`, in the place each subclass fills. This class
    itself is the row of an `in` that is none of header, query and cookie: nothing can fill it."""

    scheme_name: str
    name: str
    token: Token = field(repr=False)

    @classmethod
    def make(cls, name: str, scheme: Mapping[str, Any], credential: Any,
             scopes: list[str]) -> tuple[Provider, TokenFetch | None] | None:
        if cls is ApiKey or not scheme.get("name") or not _is_token(credential):
            return None
        return cls(name, str(scheme["name"]), credential), None

    @staticmethod
    def describe(scheme: Mapping[str, Any]) -> str:
        return f"apiKey in {scheme.get('in')}"


@dataclass
class ApiKeyHeader(ApiKey):
    def apply(self, applied: Applied) -> None:
        applied.headers[self.name] = _token_text(self.token, self.scheme_name)
        applied.secret_headers.add(self.name.lower())


@dataclass
class ApiKeyQuery(ApiKey):
    def apply(self, applied: Applied) -> None:
        value = _token_text(self.token, self.scheme_name)
        applied.query.append(f"{quote(self.name, safe='[]')}={_percent(value)}")
        applied.secret_query.add(self.name)


@dataclass
class ApiKeyCookie(ApiKey):
    def apply(self, applied: Applied) -> None:
        value = _token_text(self.token, self.scheme_name)
        applied.cookies.append(f"{self.name}={_percent(value)}")
        applied.secret_headers.add("cookie")


@dataclass
class OAuth2Bearer(HttpAuthorization):
    """oauth2 and openIdConnect: `Authorization: Bearer <token>`, the token given (a str or a callable), or
    fetched with an `OAuth2ClientCredentials` from its `token_url` or the scheme's clientCredentials flow."""

    @classmethod
    def make(cls, name: str, scheme: Mapping[str, Any], credential: Any,
             scopes: list[str]) -> tuple[Provider, TokenFetch | None] | None:
        if isinstance(credential, OAuth2ClientCredentials):
            token_url = credential.token_url or _flow_url(scheme, "clientCredentials", "tokenUrl")
            if not token_url:
                return None
            return cls(name, "Bearer", credential.current), TokenFetch(credential, token_url, tuple(scopes))
        if _is_token(credential):
            return cls(name, "Bearer", credential), None
        return None

    @staticmethod
    def describe(scheme: Mapping[str, Any]) -> str:
        device = _flow_url(scheme, "deviceAuthorization", "deviceAuthorizationUrl")
        if device is not None:
            return f"oauth2: a token from the device authorization at {device}"
        return str(scheme.get("type"))


class OAuth2ClientCredentials:
    """An OAuth2 client-credentials grant (RFC 6749 §4.4): a token fetched from the scheme's `tokenUrl`
    through the client's own transport, cached, and fetched again shortly before it expires.

    The client authenticates to the token endpoint with HTTP Basic (RFC 6749 §2.3.1), or with the
    credentials in the form body when `send_credentials_in_body=True`."""

    #: A token is renewed this many seconds before the expiry the server announced.
    REFRESH_MARGIN = 30.0

    def __init__(self, client_id: str, client_secret: str, *, scopes: Sequence[str] | None = None,
                 token_url: str | None = None, send_credentials_in_body: bool = False):
        check_credential_text(client_id, "client_id")
        check_credential_text(client_secret, "client_secret")
        self.client_id = client_id
        self._secret = Secret(client_secret)
        self.scopes = list(scopes) if scopes is not None else None
        self.token_url = token_url
        self.send_credentials_in_body = send_credentials_in_body
        self._token: Secret | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()
        # One asyncio lock per event loop: a lock is bound to the loop that first waits on it, and a
        # credential may outlive a loop (one per test, or `asyncio.run` called twice).
        self._async_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = \
            weakref.WeakKeyDictionary()
        #: How many tokens were fetched (tests and metrics read it).
        self.fetches = 0

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentials(client_id={self.client_id!r}, scopes={self.scopes!r})"

    def needs_token(self) -> bool:
        return self._token is None or time.monotonic() >= self._expires_at

    def token_request(self, token_url: str, scopes: Sequence[str]) -> WireRequest:
        form = {"grant_type": "client_credentials"}
        wanted = self.scopes if self.scopes is not None else list(scopes)
        if wanted:
            form["scope"] = " ".join(wanted)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        secret_headers = frozenset()
        if self.send_credentials_in_body:
            form.update(client_id=self.client_id, client_secret=self._secret.reveal())
        else:
            headers["Authorization"] = _basic(f"{_percent(self.client_id)}:{_percent(self._secret.reveal())}")
            secret_headers = frozenset({"authorization"})
        body = urlencode(form).encode()
        return WireRequest("POST", self.token_url or token_url, headers, body, secret_headers=secret_headers)

    def accept(self, response: WireResponse) -> None:
        """Keep the token from the endpoint's answer; an error names the status, never the body's secrets."""
        import json

        if response.status != 200:
            raise AuthenticationError(f"the token endpoint answered HTTP {response.status}")
        try:
            answer = json.loads(response.content)
            token = answer["access_token"]
        except (ValueError, KeyError, TypeError):
            raise AuthenticationError("the token endpoint's answer has no access_token") from None
        if not isinstance(token, str):
            raise AuthenticationError("the token endpoint's access_token is not a string")
        check_credential_text(token, "the fetched access token", AuthenticationError)
        lifetime = answer.get("expires_in")
        lifetime = float(lifetime) if isinstance(lifetime, (int, float)) and lifetime > 0 else 3600.0
        self._token = Secret(token)
        self._expires_at = time.monotonic() + max(lifetime - self.REFRESH_MARGIN, lifetime / 2)
        self.fetches += 1

    def ensure(self, token_url: str, scopes: Sequence[str], send: Callable[[WireRequest], WireResponse]) -> None:
        """Fetch a token when there is none or it is about to expire (one fetch at a time per credential)."""
        if not self.needs_token():
            return
        with self._lock:
            if self.needs_token():
                self.accept(send(self.token_request(token_url, scopes)))

    async def aensure(self, token_url: str, scopes: Sequence[str],
                      send: Callable[[WireRequest], Awaitable[WireResponse]]) -> None:
        """`ensure` for an `AsyncClient`: the calls of one event loop that need a token wait for a single
        fetch instead of each sending their own."""
        if not self.needs_token():
            return
        import asyncio  # here: a synchronous program never imports asyncio

        loop = asyncio.get_running_loop()
        lock = self._async_locks.get(loop)
        if lock is None:
            lock = self._async_locks[loop] = asyncio.Lock()
        async with lock:
            if self.needs_token():
                self.accept(await send(self.token_request(token_url, scopes)))

    def current(self) -> str:
        if self._token is None:
            raise AuthenticationError("no OAuth2 token was fetched yet")
        return self._token.reveal()


def _flow_url(scheme: Mapping[str, Any], flow: str, key: str) -> str | None:
    """A URL one flow of an oauth2 scheme declares (`tokenUrl` of clientCredentials, `deviceAuthorizationUrl`
    of OpenAPI 3.2's deviceAuthorization); None when the flow or its URL is missing or malformed. lago_dyn
    runs only the client-credentials grant itself; for the others the caller obtains the token and passes
    it as a str or a callable, and the missing-credentials message says where to get one."""
    flows = scheme.get("flows")
    entry = flows.get(flow) if isinstance(flows, Mapping) else None
    url = entry.get(key) if isinstance(entry, Mapping) else None
    return url if isinstance(url, str) and url else None


@dataclass(frozen=True)
class TokenFetch:
    """A token the call needs first: the facade sends `credential.token_request(...)` through its transport."""

    credential: OAuth2ClientCredentials
    token_url: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """How an operation is authenticated: the providers of the first requirement the configured credentials
    meet (empty for anonymous access), and the token fetches that must happen before it."""

    providers: tuple[Provider, ...]
    fetches: tuple[TokenFetch, ...] = ()

    def applied_once(self) -> Applied | None:
        """What the providers add, when it is the same on every request (see `Provider.fixed`); else None,
        and each request applies them anew."""
        if not all(provider.fixed for provider in self.providers):
            return None
        applied = Applied()
        for provider in self.providers:
            provider.apply(applied)
        return applied


class Credentials:
    """The credentials a client was given, matched to the spec's security schemes."""

    def __init__(self, schemes: Mapping[str, Mapping[str, Any]], auth: Mapping[str, Credential] | None,
                 api_key: str | None, api_key_source: str):
        self._schemes = schemes
        self._given: dict[str, Any] = {}
        self._api_key_source = api_key_source
        for name, credential in (auth or {}).items():
            if name not in schemes:
                known = ", ".join(schemes) or "none"
                raise ConfigurationError(f"auth names the security scheme {name!r}, which the spec does not define "
                                 f"(its schemes: {known})")
            if isinstance(credential, str):
                check_credential_text(credential, name)
            self._given[name] = credential
        if api_key is not None:
            check_credential_text(api_key, api_key_source)
            for name, scheme in schemes.items():
                if name not in self._given and _takes_one_secret(scheme):
                    self._given[name] = api_key
        self._plans: dict[Any, Plan | Exception] = {}

    def plan(self, operation_label: str, security: list[dict[str, list[str]]] | None) -> Plan:
        key = operation_label
        plan = self._plans.get(key)
        if plan is None:
            try:
                plan = self._plan(operation_label, security)
            except MissingCredentialsError as error:
                plan = error
            self._plans[key] = plan
        if isinstance(plan, Exception):
            raise MissingCredentialsError(*plan.args)
        return plan

    def _plan(self, label: str, security: list[dict[str, list[str]]] | None) -> Plan:
        if not security:
            return Plan(())
        wanted: list[str] = []
        for requirement in security:
            if not requirement:
                return Plan(())  # anonymous access is allowed
            providers, fetches = [], []
            for name, scopes in requirement.items():
                made = self._provider(name, list(scopes or ()))
                if made is None:
                    break
                providers.append(made[0])
                if made[1] is not None:
                    fetches.append(made[1])
            else:
                return Plan(tuple(providers), tuple(fetches))
            wanted.append(" + ".join(f"{name} ({_kind(self._schemes.get(name))})" for name in requirement))
        hint = f"pass {self._api_key_source}, or auth={{scheme name: credential}}"
        raise MissingCredentialsError(f"{label}: no credentials for its security requirements; it accepts "
                                      f"{' or '.join(wanted)}; {hint}")

    def _provider(self, name: str, scopes: list[str]) -> tuple[Provider, TokenFetch | None] | None:
        scheme = self._schemes.get(name)
        credential = self._given.get(name)
        if scheme is None or credential is None:
            return None
        provider = provider_for(scheme)
        return provider.make(name, scheme, credential, scopes) if provider is not None else None


#: The provider of each kind of security scheme (as openapi-core's SecurityProviderFactory), keyed by the
#: scheme's `type` and, where one type is filled in different ways, by its `scheme` (http, lower-cased)
#: or `in` (apiKey); a None variant serves every other value of that type. The one place that maps a
#: scheme to its provider: a type not here (mutualTLS) takes no credential lago_dyn can send.
PROVIDERS: dict[tuple[str, str | None], type[Provider]] = {
    ("http", "basic"): HttpBasic,
    ("http", None): HttpAuthorization,
    ("apiKey", "header"): ApiKeyHeader,
    ("apiKey", "query"): ApiKeyQuery,
    ("apiKey", "cookie"): ApiKeyCookie,
    ("apiKey", None): ApiKey,
    ("oauth2", None): OAuth2Bearer,
    ("openIdConnect", None): OAuth2Bearer,
}


def _http_scheme(scheme: Mapping[str, Any]) -> str:
    """An http scheme's name, which is case-insensitive (RFC 9110 §11.1)."""
    return str(scheme.get("scheme")).lower()


def provider_for(scheme: Mapping[str, Any]) -> type[Provider] | None:
    """The row of `PROVIDERS` for a security scheme, or None for a type lago_dyn cannot fill."""
    kind = scheme.get("type")
    if not isinstance(kind, str):
        return None
    variant = _http_scheme(scheme) if kind == "http" else scheme.get("in") if kind == "apiKey" else None
    return PROVIDERS.get((kind, variant if isinstance(variant, str) else None)) or PROVIDERS.get((kind, None))


def _takes_one_secret(scheme: Mapping[str, Any]) -> bool:
    provider = provider_for(scheme)
    return provider is not None and provider.one_secret


def _kind(scheme: Mapping[str, Any] | None) -> str:
    if not scheme:
        return "undefined scheme"
    provider = provider_for(scheme)
    return provider.describe(scheme) if provider is not None else str(scheme.get("type"))
