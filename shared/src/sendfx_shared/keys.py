"""The keys of access tokens: Ed25519 (JWS ``EdDSA``), each named by a ``kid``.

Only core-api holds a private key (``SigningKeys``); every verifier holds
public keys only, as a JWKS (RFC 7517) it fetches from core-api or is given.
A key is given as PEM text or the path of a PEM file. Rotation: core-api signs
with its current key and still publishes the public halves of retired keys,
so tokens signed before a rotation verify until they expire.

The development key is derived from a fixed seed, so a developer's stack and
the tests work with nothing set; every process refuses it outside development
mode (``sendfx_shared.secrets``), and verifiers refuse tokens signed with it.
"""

import base64
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "EdDSA"
DEV_KEY_ID = "sendfx-dev"
_DEV_SEED = hashlib.sha256(b"sendfx local development token key; never in production").digest()

Jwk = dict[str, Any]


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _text_or_file(value: str) -> str:
    """``value`` itself when it is PEM or JSON, else the text of the file it names."""
    stripped = value.strip()
    if stripped.startswith(("-----BEGIN", "{", "[")):
        return stripped
    return Path(stripped).expanduser().read_text()


def dev_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_DEV_SEED)


def load_private_key(value: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(_text_or_file(value).encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the token signing key must be an Ed25519 private key (PEM)")
    return key


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_jwk(public: Ed25519PublicKey, kid: str | None = None) -> Jwk:
    """The JWK of ``public``; its ``kid`` defaults to the RFC 7638 thumbprint."""
    x = _b64url(_raw(public))
    if kid is None:
        canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"))
        kid = _b64url(hashlib.sha256(canonical.encode()).digest())[:16]
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": ALGORITHM, "use": "sig"}


DEV_PUBLIC_X = public_jwk(dev_private_key().public_key())["x"]


def is_dev_jwk(jwk: Jwk) -> bool:
    return jwk.get("kid") == DEV_KEY_ID or jwk.get("x") == DEV_PUBLIC_X


def is_dev_key(kid: str | None, public: object) -> bool:
    """Whether a verification key (as PyJWK holds it) is the development key."""
    if kid == DEV_KEY_ID:
        return True
    return isinstance(public, Ed25519PublicKey) and _b64url(_raw(public)) == DEV_PUBLIC_X


def read_jwks(value: str) -> list[Jwk]:
    """Public keys given as a JWKS (``{"keys": [...]}``), a list of JWKs, or a
    PEM public key (text or file path)."""
    text = _text_or_file(value)
    if text.startswith("-----BEGIN"):
        public = serialization.load_pem_public_key(text.encode())
        if not isinstance(public, Ed25519PublicKey):
            raise ValueError("a token verification key must be an Ed25519 public key")
        return [public_jwk(public)]
    parsed = json.loads(text)
    keys = parsed.get("keys", []) if isinstance(parsed, dict) else parsed
    return [dict(k) for k in keys]


@dataclass(frozen=True)
class SigningKeys:
    """core-api's current private key and the public keys it still honours."""

    private: Ed25519PrivateKey
    kid: str
    retired: tuple[Jwk, ...] = field(default=())

    @classmethod
    def development(cls) -> "SigningKeys":
        return cls(dev_private_key(), DEV_KEY_ID)

    @classmethod
    def from_pem(
        cls, value: str, kid: str | None = None, retired: str | None = None
    ) -> "SigningKeys":
        private = load_private_key(value)
        kid = kid or public_jwk(private.public_key())["kid"]
        return cls(private, kid, tuple(read_jwks(retired)) if retired else ())

    @classmethod
    def generate(cls, kid: str | None = None) -> "SigningKeys":
        private = Ed25519PrivateKey.generate()
        return cls(private, kid or public_jwk(private.public_key())["kid"])

    @property
    def is_development(self) -> bool:
        return is_dev_jwk(self.current_jwk())

    def current_jwk(self) -> Jwk:
        return public_jwk(self.private.public_key(), self.kid)

    def jwks(self) -> dict[str, list[Jwk]]:
        """What ``GET /api/auth/jwks`` serves: public halves only."""
        return {"keys": [self.current_jwk(), *self.retired]}

    def private_pem(self) -> str:
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
