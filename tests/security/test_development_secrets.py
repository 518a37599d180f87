"""Every process refuses to start on development secrets unless
``SENDFX_ENV=development``: run as an operator would run them, the console
scripts exit at once with a message that names what to set."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from core_api.settings import CoreApiSettings, refuse_development_secrets_of
from sendfx_shared.keys import SigningKeys
from sendfx_shared.secrets import DevelopmentSecretRefused

BIN = Path(sys.executable).parent
SCRUBBED = (
    "SENDFX_ENV",
    "JWT_PRIVATE_KEY",
    "ADMIN_PASSWORD",
    "POSTGRES_PASSWORD",
    "MONGO_PASSWORD",
)


def start(command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    # Outside the checkout: var/development.env, left by `make up`, must not count.
    return subprocess.run(
        command,
        env={**clean, **env},
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("command", "named"),
    [
        (["core-api"], ("JWT_PRIVATE_KEY", "ADMIN_PASSWORD", "POSTGRES_PASSWORD")),
        (["feature-api"], ("MONGO_PASSWORD",)),
        (["usage-ingestor"], ("POSTGRES_PASSWORD",)),
        (["migrator", "load"], ("POSTGRES_PASSWORD",)),
    ],
)
def test_a_process_outside_development_refuses_the_development_secrets(
    command: list[str], named: tuple[str, ...]
) -> None:
    done = start([str(BIN / command[0]), *command[1:]])
    assert done.returncode != 0
    output = done.stderr + done.stdout
    assert "refuses to start outside development mode" in output
    for name in named:
        assert name in output
    assert "Traceback" not in output


def test_production_starts_with_real_secrets_and_development_mode_with_none() -> None:
    def production(key: SigningKeys) -> CoreApiSettings:
        return CoreApiSettings(
            sendfx_env="production",
            jwt_private_key=key.private_pem(),
            admin_password="a real admin passphrase",
            postgres_password="a real store password",
        )

    refuse_development_secrets_of(production(SigningKeys.generate()))  # no refusal
    with pytest.raises(DevelopmentSecretRefused, match="JWT_PRIVATE_KEY"):
        refuse_development_secrets_of(production(SigningKeys.development()))
    refuse_development_secrets_of(CoreApiSettings(sendfx_env="development"))
