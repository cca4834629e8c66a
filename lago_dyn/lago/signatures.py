"""Webhook signatures, checked as Lago documents them.

Lago signs every webhook it sends and says how in `X-Lago-Signature-Algorithm`:

- `jwt`: `X-Lago-Signature` is an RS256 JSON Web Token whose `data` claim is the payload's text, signed
  with the organization's private key; the public key comes from the API (`fetch_public_key`, base64
  of a PEM or DER key). Checked with PyJWT (and `cryptography` for RSA), never by hand.
- `hmac`: `X-Lago-Signature` is base64(HMAC-SHA256(organization's HMAC key, payload bytes)).

A webhook from an older Lago carries no algorithm header; its signature is a JWT. Messages say what is
wrong (missing header, bad signature, payload changed) and never hold the signature or a key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any, Mapping

from ..errors import ConfigurationError, WebhookSignatureError
from ..models import parse_json

SIGNATURE_HEADER = "X-Lago-Signature"
ALGORITHM_HEADER = "X-Lago-Signature-Algorithm"
JWT, HMAC = "jwt", "hmac"


def signature_algorithm(headers: Mapping[str, str]) -> str:
    """`jwt` or `hmac`: what the webhook's headers say it is signed with (`jwt` when they do not say)."""
    said = _header(headers, ALGORITHM_HEADER)
    algorithm = (said or JWT).strip().lower()
    if algorithm not in (JWT, HMAC):
        raise WebhookSignatureError(f"webhook signature: {ALGORITHM_HEADER} names an algorithm other than "
                                    f"'jwt' or 'hmac' ({len(algorithm)} characters)")
    return algorithm


def verify_signature(payload: bytes, headers: Mapping[str, str], *, public_key: bytes | str | None = None,
                     hmac_key: str | bytes | None = None, issuer: str | None = None) -> Any:
    """The payload (parsed: an ApiObject) once its signature proves Lago sent exactly these bytes; else
    WebhookSignatureError. `public_key` checks JWT signatures (PEM or DER, raw or base64 as Lago serves
    it), `hmac_key` HMAC ones; `issuer`, when given, must be the JWT's `iss` (your Lago API URL)."""
    if not isinstance(payload, (bytes, bytearray)):
        raise WebhookSignatureError("webhook signature: pass the payload as the exact bytes received "
                                    f"(got {type(payload).__name__}); re-encoded JSON no longer matches")
    signature = _header(headers, SIGNATURE_HEADER)
    if not signature:
        raise WebhookSignatureError(f"webhook signature: the {SIGNATURE_HEADER} header is missing")
    algorithm = signature_algorithm(headers)
    if algorithm == HMAC:
        if hmac_key is None:
            raise ConfigurationError("webhook signature: the webhook is signed with HMAC; pass hmac_key= "
                                     "(the organization's HMAC key)")
        _check_hmac(bytes(payload), signature, hmac_key)
    else:
        if public_key is None:
            raise ConfigurationError("webhook signature: the webhook is signed with a JWT; pass public_key=")
        _check_jwt(bytes(payload), signature, load_public_key(public_key), issuer)
    try:
        return parse_json(payload)
    except ValueError:
        raise WebhookSignatureError("webhook signature: the signed payload is not JSON") from None


def _check_hmac(payload: bytes, signature: str, key: str | bytes) -> None:
    secret = key.encode() if isinstance(key, str) else key
    expected = base64.b64encode(hmac.new(secret, payload, hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature.strip().encode("latin-1", "replace")):
        raise WebhookSignatureError("webhook signature: the HMAC-SHA256 signature does not match the payload "
                                    "(changed in transit, or another organization's key)")


def _check_jwt(payload: bytes, token: str, key: Any, issuer: str | None) -> None:
    try:
        import jwt
    except ImportError:
        raise ConfigurationError("checking JWT webhook signatures needs PyJWT: pip install 'lago-dyn[webhooks]'") from None

    try:
        claims = jwt.decode(token.strip(), key, algorithms=["RS256"], issuer=issuer,
                            options={"require": ["data"], "verify_iss": issuer is not None})
    except jwt.InvalidIssuerError:
        problem = "the JWT was issued by another Lago (its 'iss' is not the issuer given)"
    except jwt.InvalidSignatureError:
        problem = "the JWT's signature does not verify with the public key (another key, or forged)"
    except jwt.ExpiredSignatureError:
        problem = "the JWT has expired"
    except jwt.MissingRequiredClaimError:
        problem = "the JWT has no 'data' claim (not a Lago webhook signature)"
    except jwt.PyJWTError as error:  # malformed: not three base64url parts, bad header, unusable key...
        problem = f"the signature is not a valid RS256 JWT ({type(error).__name__})"
    else:
        if claims.get("data") == payload.decode("utf-8", "replace"):
            return
        problem = "the payload is not the one the JWT signs (changed in transit)"
    raise WebhookSignatureError(f"webhook signature: {problem}")


def load_public_key(key: bytes | str | Any) -> Any:
    """An RSA public key object from what Lago's `fetch_public_key` serves (base64 of a PEM or DER key),
    or from a PEM or DER key itself; a key object is returned as it is."""
    if not isinstance(key, (bytes, str)):
        return key
    try:
        from cryptography.hazmat.primitives import serialization
    except ImportError:
        raise ConfigurationError("checking JWT webhook signatures needs PyJWT and cryptography: "
                                 "pip install 'lago-dyn[webhooks]'") from None
    raw = key.encode() if isinstance(key, str) else key
    raw = raw.strip()
    if not raw.startswith(b"-----BEGIN"):
        try:
            raw = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            pass  # DER bytes as they are
    try:
        if raw.lstrip().startswith(b"-----BEGIN"):
            return serialization.load_pem_public_key(raw.strip())
        return serialization.load_der_public_key(raw)
    except (ValueError, TypeError):
        raise WebhookSignatureError("webhook signature: the public key is not a PEM or DER public key") from None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if str(key).lower() == wanted:
            return str(value)
    return None


# -- signing, as Lago signs (for LocalLago and tests; app/models/webhook.rb in getlago/lago-api) --------

def sign_hmac(payload: bytes, hmac_key: str | bytes) -> str:
    """`X-Lago-Signature` for `hmac`: base64 of HMAC-SHA256(the organization's HMAC key, the payload)."""
    secret = hmac_key.encode() if isinstance(hmac_key, str) else hmac_key
    return base64.b64encode(hmac.new(secret, payload, hashlib.sha256).digest()).decode()


def sign_jwt(payload: bytes, private_key: Any, issuer: str | None = None) -> str:
    """`X-Lago-Signature` for `jwt`: an RS256 JWT whose `data` claim is the payload's text and whose
    `iss` is the Lago API URL."""
    try:
        import jwt
    except ImportError:
        raise ConfigurationError("signing JWT webhooks needs PyJWT: pip install 'lago-dyn[webhooks]'") from None
    return jwt.encode({"data": payload.decode("utf-8"), "iss": issuer}, private_key, algorithm="RS256")


def signed_headers(payload: bytes, algorithm: str, *, hmac_key: str | bytes | None = None,
                   private_key: Any = None, issuer: str | None = None, unique_key: str = "") -> dict[str, str]:
    """The headers Lago sends with a webhook: the signature, its algorithm and the delivery's unique key."""
    signature = sign_hmac(payload, hmac_key or b"") if algorithm == HMAC else sign_jwt(payload, private_key, issuer)
    return {SIGNATURE_HEADER: signature, ALGORITHM_HEADER: algorithm, "X-Lago-Unique-Key": unique_key}
