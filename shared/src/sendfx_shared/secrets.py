"""Refuse to start on development secrets unless in development mode.

The local stack and the tests run on well-known secrets: the local store
passwords (``settings.dev_password``), the development token key
(``keys.py``) and the default admin password. Anywhere reachable those are
no secrets at all, so every process checks its settings at start-up and
refuses them unless ``SENDFX_ENV=development`` says this is a developer's
machine (``make up`` and the test plugin set it).
"""

from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from sendfx_shared.settings import MongoSettings, PostgresSettings, SendfxSettings, dev_password


class DevelopmentSecretRefused(SystemExit):
    """A process outside development mode was given a development secret.
    A ``SystemExit``: a console script that meets it prints the message alone
    (no traceback) and exits with status 1."""


def _dev_url_password(url: str) -> bool:
    parts = urlsplit(url)
    if not parts.username or parts.password is None:
        return False
    return unquote(parts.password) == dev_password(unquote(parts.username))


def development_secrets(settings: SendfxSettings) -> list[str]:
    """The variables of ``settings`` that hold a development secret."""
    found: list[str] = []
    if isinstance(settings, PostgresSettings) and _dev_url_password(settings.postgres_url):
        found.append("POSTGRES_PASSWORD (the local development password)")
    if isinstance(settings, MongoSettings):
        urls = {settings.mongo_url, getattr(settings, "legacy_url", settings.mongo_url)}
        for url in sorted(urls):
            given = settings.mongo_credentials(url)
            user = given.get("username")
            if _dev_url_password(url) or (user and given.get("password") == dev_password(user)):
                found.append("MONGO_PASSWORD (the local development password)")
                break
    return found


def refuse_development_secrets(
    process: str, settings: SendfxSettings, also: Mapping[str, bool] | None = None
) -> None:
    """Raise ``DevelopmentSecretRefused`` naming every development secret in
    use (``also``: the process's own, name → in use), unless in development."""
    if settings.development:
        return
    found = development_secrets(settings) + [name for name, used in (also or {}).items() if used]
    if found:
        raise DevelopmentSecretRefused(
            f"{process} refuses to start outside development mode with development "
            f"secrets: {'; '.join(found)}. Set real values (README, Security), or set "
            "SENDFX_ENV=development on a developer machine."
        )
