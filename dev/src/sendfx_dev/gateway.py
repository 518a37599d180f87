"""The nginx gateway for local runs: render deploy/nginx/ and run it under var/.

The same template serves a Docker host, where the nginx image runs envsubst
over it; here we replace exactly the same ``${NAME}`` placeholders and leave
nginx's own ``$variables`` alone, as envsubst does with a variable list.
"""

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SERVER_TEMPLATE = Path("deploy/nginx/templates/default.conf.template")
LOCAL_MAIN_TEMPLATE = Path("deploy/nginx/local.conf.template")
DEFAULT_CORS_ORIGINS = "http://localhost:3000,http://127.0.0.1:3000"

_PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


class MissingPlaceholder(KeyError):
    pass


def render(template: str, values: dict[str, str]) -> str:
    """Replace every ``${NAME}``; a placeholder without a value is an error."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise MissingPlaceholder(name)
        return values[name]

    return _PLACEHOLDER.sub(substitute, template)


def placeholders(template: str) -> set[str]:
    return set(_PLACEHOLDER.findall(template))


def normalise_origins(origins: str) -> str:
    """The template wants a bare comma list: no spaces, no empty items."""
    return ",".join(item.strip() for item in origins.split(",") if item.strip())


@dataclass(frozen=True)
class GatewayConfig:
    root: Path
    state_dir: Path
    log: Path
    host: str
    port: int
    core_api: str
    feature_api: str
    usage_ingestor: str
    cors_origins: str

    @property
    def nginx_dir(self) -> Path:
        return self.state_dir / "nginx"

    @property
    def main_conf(self) -> Path:
        return self.nginx_dir / "conf" / "nginx.conf"

    @property
    def server_conf(self) -> Path:
        return self.nginx_dir / "conf" / "sendfx.conf"

    def server_values(self) -> dict[str, str]:
        return {
            "GATEWAY_HOST": self.host,
            "GATEWAY_PORT": str(self.port),
            "CORE_API_UPSTREAM": self.core_api,
            "FEATURE_API_UPSTREAM": self.feature_api,
            "USAGE_INGESTOR_UPSTREAM": self.usage_ingestor,
            "CORS_ORIGINS": normalise_origins(self.cors_origins),
        }

    def main_values(self) -> dict[str, str]:
        # nginx started by root hands its workers to "nobody", who may not be
        # able to enter a private checkout (a mktemp -d clone is 0700).
        user = "user root root;" if os.geteuid() == 0 else ""
        return {
            "NGINX_USER_DIRECTIVE": user,
            "NGINX_STATE_DIR": str(self.nginx_dir),
            "NGINX_ERROR_LOG": str(self.log),
            "NGINX_ACCESS_LOG": str(self.log.with_suffix(".access.log")),
            "NGINX_SERVER_CONF": str(self.server_conf),
        }

    def write(self) -> bool:
        """Render both files under var/nginx/conf; True when either changed."""
        self.server_conf.parent.mkdir(parents=True, exist_ok=True)
        (self.nginx_dir / "tmp").mkdir(parents=True, exist_ok=True)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        changed = False
        for path, template, values in (
            (self.server_conf, SERVER_TEMPLATE, self.server_values()),
            (self.main_conf, LOCAL_MAIN_TEMPLATE, self.main_values()),
        ):
            text = render((self.root / template).read_text(), values)
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
                changed = True
        return changed

    def argv(self, nginx: str) -> list[str]:
        return [nginx, "-p", str(self.nginx_dir), "-e", str(self.log), "-c", str(self.main_conf)]


def nginx_binary() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    for candidate in ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"):
        if Path(candidate).exists():
            return candidate
    return None


def check_config(nginx: str, config: GatewayConfig) -> str | None:
    """``nginx -t`` on the rendered files: None when valid, else its complaint."""
    result = subprocess.run(
        [*config.argv(nginx), "-t", "-q"], capture_output=True, text=True, check=False
    )
    if result.returncode == 0:
        return None
    return (result.stderr or result.stdout).strip()
