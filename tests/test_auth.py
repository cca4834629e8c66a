"""Credentials by security scheme, as OpenAPI 3.x's Security Scheme and Security Requirement Objects say,
seen on the wire by a server on 127.0.0.1: where each kind of scheme puts its credential (RFC 9110 §11 for
`Authorization`, RFC 7617 for Basic, RFC 6750 for Bearer), which requirement a call meets, what the
missing-credentials error names, and the OAuth2 client-credentials grant (RFC 6749 §4.4): the token
request, the token's lifetime, and an endpoint that refuses."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

import pytest

import lago_dyn
from conftest import http_server


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = -1  # the head and body in one write

    def do_GET(self):
        parts = urlsplit(self.path)
        self.server.received.append({"path": parts.path, "query": parts.query, "headers": dict(self.headers.items())})
        self._answer(200, b'{"ok": true}')

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append({"path": self.path, "body": body.decode(), "headers": dict(self.headers.items())})
        status, answer = self.server.token_answers.pop(0) if self.server.token_answers else (200, None)
        if answer is None:
            self.server.issued += 1
            answer = json.dumps({"access_token": f"tok-{self.server.issued}", "token_type": "Bearer",
                                 "expires_in": self.server.expires_in}).encode()
        self._answer(status, answer)

    def _answer(self, status, content):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def shared_server():
    with http_server(Handler) as httpd:
        yield httpd


@pytest.fixture
def server(shared_server):
    shared_server.received, shared_server.token_answers = [], []
    shared_server.issued, shared_server.expires_in = 0, 3600
    return shared_server


def api(schemes: dict, security: list | None, *, root_security: list | None = None) -> dict:
    """A spec with one operation, `call` (GET /call), under the given schemes and requirements."""
    operation = {"operationId": "call", "responses": {"200": {"description": "ok", "content": {
        "application/json": {"schema": {"type": "object"}}}}}}
    if security is not None:
        operation["security"] = security
    spec = {"openapi": "3.1.0", "info": {"title": "Auth", "version": "1"},
            "components": {"securitySchemes": schemes}, "paths": {"/call": {"get": operation}}}
    if root_security is not None:
        spec["security"] = root_security
    return spec


def client(server, schemes, security, *, root_security=None, **options):
    options.setdefault("profile", lago_dyn.GENERIC)
    return lago_dyn.Client(api(schemes, security, root_security=root_security), base_url=server.base, cache_dir=False,
                           retry=lago_dyn.RetryPolicy(retries=0), **options)


def sent(server) -> dict:
    calls = [request for request in server.received if request["path"] == "/call"]
    assert len(calls) == 1, server.received
    return calls[0]


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# -- where each kind of scheme puts its credential ---------------------------------------------------------

WIRE = [
    ({"type": "http", "scheme": "bearer"}, "t0k", ("Authorization", "Bearer t0k")),
    # auth-scheme names are case-insensitive (RFC 9110 §11.1): the Bearer label is sent as RFC 6750 spells it
    ({"type": "http", "scheme": "BEARER"}, "t0k", ("Authorization", "Bearer t0k")),
    # any other http scheme: the token after the scheme's name as the spec writes it
    ({"type": "http", "scheme": "Token"}, "t0k", ("Authorization", "Token t0k")),
    ({"type": "http", "scheme": "basic"}, ("ada", "pw:1"), ("Authorization", basic("ada", "pw:1"))),
    ({"type": "http", "scheme": "Basic"}, ("ada", 7), ("Authorization", basic("ada", "7"))),
    # RFC 7617 §2.1: user and password in UTF-8
    ({"type": "http", "scheme": "basic"}, ("zoë", "pässwörd"), ("Authorization", basic("zoë", "pässwörd"))),
    ({"type": "apiKey", "in": "header", "name": "X-Key"}, "k1", ("X-Key", "k1")),
    ({"type": "apiKey", "in": "header", "name": "X-Key"}, lambda: "asked", ("X-Key", "asked")),
    ({"type": "apiKey", "in": "cookie", "name": "sid"}, "v;1 2", ("Cookie", "sid=v%3B1%202")),
    ({"type": "oauth2", "flows": {"implicit": {"authorizationUrl": "https://a.test/auth", "scopes": {}}}},
     "tok", ("Authorization", "Bearer tok")),
    ({"type": "oauth2", "flows": {}}, lambda: "fresh", ("Authorization", "Bearer fresh")),
    ({"type": "openIdConnect", "openIdConnectUrl": "https://a.test/.well-known/openid-configuration"},
     "id-tok", ("Authorization", "Bearer id-tok")),
]


@pytest.mark.parametrize("scheme, credential, header", WIRE)
def test_each_scheme_puts_its_credential_where_the_spec_says(scheme, credential, header, server):
    with client(server, {"s": scheme}, [{"s": []}], auth={"s": credential}) as c:
        assert c.call() == {"ok": True}
    name, value = header
    assert sent(server)["headers"][name] == value


@pytest.mark.parametrize("name", ["key", "key[a]"])
def test_an_api_key_in_the_query_is_percent_encoded_after_the_arguments(name, server):
    spec = api({"q": {"type": "apiKey", "in": "query", "name": name}}, [{"q": []}])
    spec["paths"]["/call"]["get"]["parameters"] = [{"name": "page", "in": "query", "schema": {"type": "integer"}}]
    with lago_dyn.Client(spec, base_url=server.base, auth={"q": "a b&c=/"}, profile=lago_dyn.GENERIC) as c:
        c.call(page=2)
    assert parse_qsl(sent(server)["query"]) == [("page", "2"), (name, "a b&c=/")]
    if name == "key":
        assert sent(server)["query"] == "page=2&key=a%20b%26c%3D%2F"


def test_an_api_key_joins_the_cookies_the_operation_sends(server):
    spec = api({"c": {"type": "apiKey", "in": "cookie", "name": "sid"}}, [{"c": []}])
    spec["paths"]["/call"]["get"]["parameters"] = [{"name": "theme", "in": "cookie", "schema": {"type": "string"}}]
    with lago_dyn.Client(spec, base_url=server.base, auth={"c": "s1"}, profile=lago_dyn.GENERIC) as c:
        c.call(theme="dark")
    assert sent(server)["headers"]["Cookie"] == "theme=dark; sid=s1"


ALL_KINDS = {
    "bearer": {"type": "http", "scheme": "bearer"},
    "digest": {"type": "http", "scheme": "Digest"},
    "basic": {"type": "http", "scheme": "basic"},
    "header": {"type": "apiKey", "in": "header", "name": "X-Key"},
    "query": {"type": "apiKey", "in": "query", "name": "key"},
    "cookie": {"type": "apiKey", "in": "cookie", "name": "sid"},
    "oauth": {"type": "oauth2", "flows": {"implicit": {"authorizationUrl": "https://a.test/a", "scopes": {}}}},
    "oidc": {"type": "openIdConnect", "openIdConnectUrl": "https://a.test/oidc"},
    "mtls": {"type": "mutualTLS"},
}
API_KEY_LANDS = {
    "bearer": ("Authorization", "Bearer one-key"), "digest": ("Authorization", "Digest one-key"),
    "header": ("X-Key", "one-key"), "cookie": ("Cookie", "sid=one-key"),
    "oauth": ("Authorization", "Bearer one-key"), "oidc": ("Authorization", "Bearer one-key"),
}


@pytest.mark.parametrize("name", list(ALL_KINDS))
def test_api_key_fills_every_scheme_that_takes_one_secret_string(name, server):
    """`api_key=` is one secret string: it fills bearer, any token scheme, apiKey anywhere, oauth2 and
    openIdConnect, but not http basic (a pair) nor mutualTLS (a certificate, not a value to send)."""
    with client(server, ALL_KINDS, [{name: []}], api_key="one-key") as c:
        if name == "query":
            c.call()
            assert sent(server)["query"] == "key=one-key"
        elif name in API_KEY_LANDS:
            c.call()
            header, value = API_KEY_LANDS[name]
            assert sent(server)["headers"][header] == value
        else:
            with pytest.raises(lago_dyn.MissingCredentialsError):
                c.call()
            assert server.received == []


def test_a_credential_given_by_scheme_name_wins_over_api_key(server):
    with client(server, ALL_KINDS, [{"bearer": []}], api_key="one-key", auth={"bearer": "own"}) as c:
        c.call()
    assert sent(server)["headers"]["Authorization"] == "Bearer own"


# -- which requirement a call meets -----------------------------------------------------------------------

TWO = {"basic": {"type": "http", "scheme": "basic"}, "bearer": {"type": "http", "scheme": "bearer"},
       "key": {"type": "apiKey", "in": "header", "name": "X-Key"}}


@pytest.mark.parametrize("security, auth, expected", [
    # the first requirement the credentials meet, in the order the spec lists them
    ([{"basic": []}, {"bearer": []}], {"basic": ("u", "p"), "bearer": "b"}, {"Authorization": basic("u", "p")}),
    ([{"basic": []}, {"bearer": []}], {"bearer": "b"}, {"Authorization": "Bearer b"}),
    # every scheme of one requirement together (AND), or the next requirement
    ([{"bearer": [], "key": []}, {"basic": []}], {"bearer": "b", "key": "k"}, {"Authorization": "Bearer b", "X-Key": "k"}),
    ([{"bearer": [], "key": []}, {"basic": []}], {"bearer": "b", "basic": ("u", "p")}, {"Authorization": basic("u", "p")}),
    # an empty requirement allows anonymous access: nothing is sent once it is reached
    ([{"basic": []}, {}, {"bearer": []}], {"bearer": "b"}, {}),
    ([{"bearer": []}, {}], {}, {}),
    # `security: []` removes the top-level requirement: no credential is sent even when one is given
    ([], {"bearer": "b"}, {}),
])
def test_a_call_meets_the_first_requirement_its_credentials_satisfy(security, auth, expected, server):
    with client(server, TWO, security, auth=auth, root_security=[{"bearer": []}]) as c:
        c.call()
    headers = sent(server)["headers"]
    assert {name: headers[name] for name in expected} == expected
    assert not {"Authorization", "X-Key"} - set(expected) & set(headers)


def test_a_token_source_in_a_requirement_of_two_schemes_is_asked_on_every_call(server):
    """One fixed credential beside a callable one: the pair cannot be worked out once for all calls."""
    tokens = iter(["first", "second"])
    with client(server, TWO, [{"bearer": [], "key": []}], auth={"bearer": "fixed", "key": lambda: next(tokens)}) as c:
        c.call()
        c.call()
    assert [(r["headers"]["Authorization"], r["headers"]["X-Key"]) for r in server.received] == \
        [("Bearer fixed", "first"), ("Bearer fixed", "second")]


def test_the_top_level_requirement_applies_to_an_operation_without_its_own(server):
    with client(server, TWO, None, auth={"bearer": "b"}, root_security=[{"bearer": []}]) as c:
        c.call()
    assert sent(server)["headers"]["Authorization"] == "Bearer b"


@pytest.mark.parametrize("schemes, auth, described", [
    ({"s": {"type": "http", "scheme": "basic"}}, {"s": "a str, not a pair"}, "s (http basic)"),
    ({"s": {"type": "http", "scheme": "basic"}}, {"s": ("only one",)}, "s (http basic)"),
    ({"s": {"type": "http", "scheme": "bearer"}}, {"s": ("u", "p")}, "s (http bearer)"),
    ({"s": {"type": "http"}}, {}, "s (http)"),
    ({"s": {"type": "apiKey", "in": "header"}}, {"s": "no name to send it under"}, "s (apiKey in header)"),
    ({"s": {"type": "apiKey", "in": "body", "name": "k"}}, {"s": "nowhere to put it"}, "s (apiKey in body)"),
    ({"s": {"type": "apiKey", "in": "query", "name": "k"}}, {"s": ("u", "p")}, "s (apiKey in query)"),
    ({"s": {"type": "oauth2", "flows": {"implicit": {"authorizationUrl": "https://a.test/a", "scopes": {}}}}},
     {"s": lago_dyn.OAuth2ClientCredentials("id", "secret")}, "s (oauth2)"),  # no tokenUrl to fetch from
    ({"s": {"type": "oauth2", "flows": {"deviceAuthorization": {
        "deviceAuthorizationUrl": "https://a.test/device", "tokenUrl": "https://a.test/token", "scopes": {}}}}},
     {}, "s (oauth2: a token from the device authorization at https://a.test/device)"),
    ({"s": {"type": "oauth2", "flows": {"deviceAuthorization": {"tokenUrl": "https://a.test/token"}}}},
     {}, "s (oauth2)"),
    ({"s": {"type": "oauth2", "flows": "not a map"}}, {}, "s (oauth2)"),
    ({"s": {"type": "oauth2", "flows": {"deviceAuthorization": "not a map"}}}, {}, "s (oauth2)"),
    ({"s": {"type": "oauth2", "flows": {"deviceAuthorization": {"deviceAuthorizationUrl": 42}}}}, {}, "s (oauth2)"),
    ({"s": {"type": "oauth2", "flows": {"deviceAuthorization": {"deviceAuthorizationUrl": ""}}}}, {}, "s (oauth2)"),
    ({"s": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "", "scopes": {}}}}},
     {"s": lago_dyn.OAuth2ClientCredentials("id", "secret")}, "s (oauth2)"),
    # malformed schemes name what they hold, and take no credential
    ({"s": {"type": ["http"], "scheme": "bearer"}}, {"s": "t"}, "s (['http'])"),
    ({"s": {"type": "apiKey", "in": ["query"], "name": "k"}}, {"s": "t"}, "s (apiKey in ['query'])"),
    ({"s": {"type": "oauth2"}}, {}, "s (oauth2)"),
    ({"s": {"type": "openIdConnect", "openIdConnectUrl": "https://a.test/oidc"}}, {}, "s (openIdConnect)"),
    ({"s": {"type": "mutualTLS"}}, {"s": "a certificate is not sent as a value"}, "s (mutualTLS)"),
    ({}, {}, "s (undefined scheme)"),
])
def test_missing_credentials_name_each_scheme_by_its_kind_and_send_nothing(schemes, auth, described, server):
    with client(server, schemes, [{"s": []}], auth=auth) as c:
        for _ in range(2):  # the second call is refused alike (the verdict is kept per operation)
            with pytest.raises(lago_dyn.MissingCredentialsError) as caught:
                c.call()
            assert str(caught.value) == (f"call: no credentials for its security requirements; it accepts {described}; "
                                         "pass api_key=, or auth={scheme name: credential}")
    assert server.received == []


def test_missing_credentials_list_every_requirement_and_say_how_to_pass_them(server, monkeypatch):
    monkeypatch.delenv("LAGO_API_KEY", raising=False)
    with lago_dyn.Client(api(TWO, [{"basic": []}, {"bearer": [], "key": []}]), base_url=server.base) as c:  # Lago's profile
        with pytest.raises(lago_dyn.MissingCredentialsError) as caught:
            c.call()
    assert str(caught.value) == ("call: no credentials for its security requirements; it accepts basic (http basic) "
                                 "or bearer (http bearer) + key (apiKey in header); pass api_key= (or set "
                                 "LAGO_API_KEY), or auth={scheme name: credential}")


# -- credentials checked when the client is made ------------------------------------------------------------

@pytest.mark.parametrize("bad", ["zq9\r", "zq9\n", "zq\x009", "zq9€"])
def test_a_credential_http_cannot_carry_is_refused_at_construction_without_being_repeated(bad, server):
    for options, where in [({"api_key": bad}, "api_key="), ({"auth": {"bearer": bad}}, "bearer")]:
        with pytest.raises(lago_dyn.ConfigurationError) as caught:
            client(server, TWO, [{"bearer": []}], **options)
        assert f"the credential for {where} " in str(caught.value) and "zq" not in str(caught.value)
    for arguments, where in [((bad, "secret"), "client_id"), (("client", bad), "client_secret")]:
        with pytest.raises(lago_dyn.ConfigurationError) as caught:
            lago_dyn.OAuth2ClientCredentials(*arguments)
        assert f"the credential for {where} " in str(caught.value) and "zq" not in str(caught.value)


@pytest.mark.parametrize("key", ["clé", "X0-Xz", "~!#$%&'*+.^_`|"])
def test_a_credential_of_printable_latin_1_is_sent_as_it_is(key, server):
    with client(server, TWO, [{"key": []}], auth={"key": key}, api_key=key) as c:
        c.call()
    assert sent(server)["headers"]["X-Key"] == key


def test_credentials_for_a_scheme_the_spec_does_not_define_are_refused(server):
    with pytest.raises(lago_dyn.ConfigurationError) as caught:
        client(server, TWO, [{"bearer": []}], auth={"Bearer": "t"})
    assert str(caught.value) == ("auth names the security scheme 'Bearer', which the spec does not define "
                                 "(its schemes: basic, bearer, key)")
    with pytest.raises(lago_dyn.ConfigurationError, match=r"\(its schemes: none\)"):
        client(server, {}, None, auth={"bearer": "t"})


TOKEN_SCHEMES = {"bearer": {"type": "http", "scheme": "bearer"}, "header": {"type": "apiKey", "in": "header", "name": "K"},
                 "query": {"type": "apiKey", "in": "query", "name": "k"}, "cookie": {"type": "apiKey", "in": "cookie", "name": "k"},
                 "oidc": {"type": "openIdConnect", "openIdConnectUrl": "https://a.test/oidc"}}


@pytest.mark.parametrize("name", list(TOKEN_SCHEMES))
@pytest.mark.parametrize("returned, problem", [(None, "the token source for {!r} returned NoneType, not str"),
                                               (42, "the token source for {!r} returned int, not str"),
                                               ("a\nb", "the credential for {} contains a line break or NUL (read "
                                                         "from a file? strip it)"),
                                               ("tøken€", "the credential for {} has characters an HTTP header "
                                                          "cannot carry (outside Latin-1)")])
def test_a_token_source_that_returns_no_usable_token_fails_the_call_before_sending(name, returned, problem, server):
    with client(server, TOKEN_SCHEMES, [{name: []}], auth={name: lambda: returned}) as c:
        with pytest.raises(lago_dyn.AuthenticationError) as caught:
            c.call()
    assert str(caught.value).startswith(problem.format(name)) and server.received == []
    if returned in ("a\nb", "tøken€"):  # the whole sentence: it says what to do
        assert str(caught.value) == problem.format(name)


def test_an_api_key_named_with_brackets_is_sent_as_the_operations_own_query_parameters_are(server, make_client):
    """Lago's `external_customer_ids[]` keeps its brackets in the query; a key named `key[a]` is written
    the same way, so whatever the transport does to brackets, it does to both."""
    spec = api({"q": {"type": "apiKey", "in": "query", "name": "key[a]"}}, [{"q": []}])
    spec["paths"]["/call"]["get"]["parameters"] = [
        {"name": "ids[]", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}}]
    with make_client(spec, base_url=server.base, auth={"q": "v"}, profile=lago_dyn.GENERIC) as c:
        c.call(ids=["1"])
    query = sent(server)["query"]
    assert query in ("ids[]=1&key[a]=v", "ids%5B%5D=1&key%5Ba%5D=v")
    assert parse_qsl(query) == [("ids[]", "1"), ("key[a]", "v")]


# -- OAuth2 client credentials (RFC 6749 §4.4) --------------------------------------------------------------

def oauth_schemes(server, **flow):
    return {"oauth": {"type": "oauth2", "flows": {"clientCredentials": {
        "tokenUrl": server.base + "/token", "scopes": {"read": "", "write": ""}, **flow}}}}


def token_requests(server):
    return [request for request in server.received if request["path"] == "/token"]


@pytest.mark.parametrize("scopes, required, form_scope", [
    (["read", "write"], ["read"], "read write"),  # the credential's scopes win
    (None, ["write", "read"], "write read"),      # else those the operation's requirement lists
    (None, [], None),                              # and none at all: no scope parameter
    ([], ["read"], None),
])
def test_the_token_request_is_a_form_post_authenticated_with_basic(scopes, required, form_scope, server):
    credential = lago_dyn.OAuth2ClientCredentials("id:1", "s/é cret", scopes=scopes)
    with client(server, oauth_schemes(server), [{"oauth": required}], auth={"oauth": credential}) as c:
        c.call()
    (token,) = token_requests(server)
    form = dict(parse_qsl(token["body"], keep_blank_values=True))
    assert form.pop("grant_type") == "client_credentials" and form.pop("scope", None) == form_scope and not form
    # RFC 6749 §2.3.1: the id and secret are form-encoded, then joined by ':' and base64-encoded
    assert token["headers"]["Authorization"] == basic("id%3A1", "s%2F%C3%A9%20cret")
    assert token["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert token["headers"]["Accept"] == "application/json"
    assert sent(server)["headers"]["Authorization"] == "Bearer tok-1"


class Recording:
    """A transport of the user's own that keeps the repr of each request it sends, as a logging one would."""

    def __init__(self):
        self.inner, self.shown = lago_dyn.Httpx2SyncTransport(), []

    def send(self, request):
        self.shown.append(repr(request))
        return self.inner.send(request)

    def close(self):
        self.inner.close()


@pytest.mark.parametrize("in_body", [False, True])
def test_the_client_credentials_can_go_in_the_form_body_instead(in_body, server):
    credential = lago_dyn.OAuth2ClientCredentials("id-1", "s&cret", scopes=["read"], send_credentials_in_body=in_body)
    transport = Recording()
    with client(server, oauth_schemes(server), [{"oauth": []}], auth={"oauth": credential}, transport=transport) as c:
        c.call()
    (token,) = token_requests(server)
    if in_body:
        assert parse_qsl(token["body"]) == [("grant_type", "client_credentials"), ("scope", "read"),
                                            ("client_id", "id-1"), ("client_secret", "s&cret")]
        assert "Authorization" not in token["headers"]
    else:
        assert parse_qsl(token["body"]) == [("grant_type", "client_credentials"), ("scope", "read")]
        assert token["headers"]["Authorization"] == basic("id-1", "s%26cret")
    # the token request as a transport sees it: the credentials are in it, but its repr shows neither
    assert transport.shown[0].startswith(f"WireRequest(POST {server.base}/token, ")
    assert not any(text in transport.shown[0] for text in ("s&cret", "s%26cret", basic("id-1", "s%26cret")[6:]))


def test_a_token_url_given_to_the_credential_wins_over_the_specs(server):
    credential = lago_dyn.OAuth2ClientCredentials("id", "secret", token_url=server.base + "/token")
    schemes = {"oauth": {"type": "oauth2", "flows": {"clientCredentials": {
        "tokenUrl": "http://127.0.0.1:9/never", "scopes": {}}}}}
    with client(server, schemes, [{"oauth": []}], auth={"oauth": credential}) as c:
        c.call()
    assert len(token_requests(server)) == 1 and sent(server)["headers"]["Authorization"] == "Bearer tok-1"
    no_flow = {"oauth": {"type": "oauth2", "flows": {}}}
    server.received.clear()
    credential = lago_dyn.OAuth2ClientCredentials("id", "secret", token_url=server.base + "/token")
    with client(server, no_flow, [{"oauth": []}], auth={"oauth": credential}) as c:
        c.call()  # the spec names no token URL at all: the credential's is enough
    assert sent(server)["headers"]["Authorization"] == "Bearer tok-2"


@pytest.mark.parametrize("status, answer, problem", [
    (401, b'{"error": "invalid_client"}', "the token endpoint answered HTTP 401"),
    (201, b'{"access_token": "t"}', "the token endpoint answered HTTP 201"),
    (200, b"not json", "the token endpoint's answer has no access_token"),
    (200, b'{"token": "t"}', "the token endpoint's answer has no access_token"),
    (200, b'["access_token"]', "the token endpoint's answer has no access_token"),
    (200, b'{"access_token": 42}', "the token endpoint's access_token is not a string"),
    (200, b'{"access_token": "a\\r\\nX-Evil: 1"}', "the credential for the fetched access token contains a line break"),
])
def test_a_token_endpoint_that_gives_no_usable_token_fails_the_call_with_authentication_error(
        status, answer, problem, server):
    server.token_answers = [(status, answer)]
    credential = lago_dyn.OAuth2ClientCredentials("id", "secret")
    with client(server, oauth_schemes(server), [{"oauth": []}], auth={"oauth": credential}) as c:
        with pytest.raises(lago_dyn.AuthenticationError) as caught:
            c.call()
        assert str(caught.value).startswith(problem)
        assert [request["path"] for request in server.received] == ["/token"]  # the call itself was not sent
        c.call()  # the next call fetches again, and gets a token this time
    assert credential.fetches == 1 and sent(server)["headers"]["Authorization"] == "Bearer tok-1"


class Clock:
    """`time.monotonic` for the credential, moved by the test: the token's lifetime passes without waiting."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


@pytest.mark.parametrize("expires_in, renewed_after", [
    (3600, 3570.0),   # renewed REFRESH_MARGIN (30 s) before the expiry the server announced
    (100, 70.0),
    (40, 20.0),       # a short lifetime: at half of it, not 30 s before (10 s)
    (1, 0.5),
    (None, 3570.0),   # no expires_in, or one that is no positive number: an hour is assumed
    (0, 3570.0),
    (-5, 3570.0),
    ("60", 3570.0),
])
def test_a_fetched_token_is_reused_until_shortly_before_it_expires(expires_in, renewed_after, server, monkeypatch):
    from lago_dyn import auth

    clock = Clock()
    monkeypatch.setattr(auth, "time", clock)
    server.expires_in = expires_in
    credential = lago_dyn.OAuth2ClientCredentials("id", "secret")
    with client(server, oauth_schemes(server), [{"oauth": []}], auth={"oauth": credential}) as c:
        c.call()
        clock.now += renewed_after - 0.25  # (quarters: exact in binary, so the boundary is exact too)
        c.call()
        assert credential.fetches == 1
        clock.now += 0.25
        c.call()
        assert credential.fetches == 2
    assert [r["headers"]["Authorization"] for r in server.received if r["path"] == "/call"] == \
        ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]


def test_one_credential_fetches_one_token_for_many_threads(server):
    credential = lago_dyn.OAuth2ClientCredentials("id", "secret")
    with client(server, oauth_schemes(server), [{"oauth": []}], auth={"oauth": credential}) as c:
        start = threading.Barrier(8)

        def call():
            start.wait()
            c.call()

        threads = [threading.Thread(target=call) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(token_requests(server)) == 1 and credential.fetches == 1


def test_a_credential_shows_its_client_id_and_scopes_but_never_its_secret():
    credential = lago_dyn.OAuth2ClientCredentials("client-9", "do-not-show", scopes=("read",))
    assert repr(credential) == "OAuth2ClientCredentials(client_id='client-9', scopes=['read'])"
    # what a debugger or `vars()` shows: the secret is held, and says it is redacted
    assert "'_secret': Secret('<redacted>')" in repr(vars(credential)) and "do-not-show" not in repr(vars(credential))
    assert str(vars(credential)["_secret"]) == "Secret('<redacted>')"


def test_asking_a_credential_for_its_token_before_any_was_fetched_is_an_authentication_error():
    with pytest.raises(lago_dyn.AuthenticationError) as caught:
        lago_dyn.OAuth2ClientCredentials("client-9", "secret").current()
    assert str(caught.value) == "no OAuth2 token was fetched yet"


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
async def test_an_async_client_asks_for_the_scopes_the_operation_requires(server):
    credential = lago_dyn.OAuth2ClientCredentials("id", "secret")
    async with lago_dyn.AsyncClient(api(oauth_schemes(server), [{"oauth": ["read", "write"]}]), base_url=server.base,
                                    auth={"oauth": credential}, profile=lago_dyn.GENERIC) as c:
        assert await c.call() == {"ok": True}
    (token,) = token_requests(server)
    assert parse_qsl(token["body"]) == [("grant_type", "client_credentials"), ("scope", "read write")]
    assert sent(server)["headers"]["Authorization"] == "Bearer tok-1"
