"""The gateway template routes each path family to the service that owns it.

The routing and the CORS origin check are nginx `map` blocks of PCRE regexes;
the ones used here mean the same under Python's `re`, so the template itself
is parsed and exercised (tests/e2e/test_e2e_gateway.py runs the real nginx).
"""

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sendfx_dev import gateway

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = (ROOT / gateway.SERVER_TEMPLATE).read_text()
FEATURE_FAMILIES = [
    "ui-settings",
    "conversations",
    "flows",
    "flow-templates",
    "flow-drafts",
    "knowledge",
    "assistant",
    "agents",
]
FEATURE_ADMIN_FAMILIES = ["ui-settings", "log-settings", "flow-drafts", "flow-templates"]
# the same families below /api/workspaces/{id}/, except the global UI settings
FEATURE_WORKSPACE_FAMILIES = [f for f in FEATURE_FAMILIES if f != "ui-settings"]


def _map_block(source: str, result: str) -> list[tuple[str, str]]:
    """The (regex, value) entries of ``map <source> <result> { ... }``, in order."""
    match = re.search(
        rf"^map {re.escape(source)} {re.escape(result)} \{{\n(.*?)^\}}", TEMPLATE, re.M | re.S
    )
    assert match, f"no map {source} {result}"
    entries = []
    for line in match.group(1).splitlines():
        entry = re.match(r'\s*"~(.*)"\s+(\S+);', line)
        if entry:
            entries.append((entry.group(1), entry.group(2)))
    return entries


ROUTES = _map_block("$uri", "$sendfx_upstream")
CORS_RULE = _map_block('"${CORS_ORIGINS}|$http_origin"', "$sendfx_cors_origin")


def upstream_of(path: str) -> str:
    for pattern, upstream in ROUTES:
        if re.search(pattern, path):
            return upstream.removeprefix("sendfx_")
    return "none"


def origin_allowed(origins: str, origin: str) -> bool:
    (pattern, _), *_ = CORS_RULE
    return re.search(pattern, f"{gateway.normalise_origins(origins)}|{origin}") is not None


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/api/auth/login", "core_api"),
        ("/api/auth/me", "core_api"),
        ("/api/workspaces", "core_api"),
        ("/api/workspaces/abc", "core_api"),
        ("/api/workspaces/abc/members", "core_api"),
        ("/api/admin/workspaces/abc/usage", "usage_ingestor"),
        ("/api/admin/workspaces/abc/usage/calls", "usage_ingestor"),
        ("/api/admin/usage/reprice", "usage_ingestor"),
        ("/api/admin/workspaces/abc/usage-counters", "core_api"),
        ("/api/workspaces/abc/usage-counters", "core_api"),
        ("/api/admin/users", "core_api"),
        ("/api/ui-settings", "feature_api"),
        ("/api/conversations/c1/messages", "feature_api"),
        ("/api/conversations/c1/ai-reply", "feature_api"),
        ("/api/workspaces/w1/conversations", "feature_api"),
        ("/api/workspaces/w1/flows/f1", "feature_api"),
        ("/api/admin/ui-settings", "feature_api"),
        ("/api/admin/log-settings", "feature_api"),
        ("/api/admin/flow-drafts/d1/publish", "feature_api"),
        ("/api/admin/flow-templates", "feature_api"),
        ("/api/flowsheet", "core_api"),
        ("/api/admin/flows", "core_api"),
        ("/healthz", "none"),
        ("/other", "none"),
    ],
)
def test_known_paths_reach_their_service(path: str, service: str) -> None:
    assert upstream_of(path) == service


segment = st.from_regex(r"[a-zA-Z0-9_.~-]{1,12}", fullmatch=True)
tail = st.lists(segment, max_size=3).map(lambda parts: "".join(f"/{p}" for p in parts))


@given(family=st.sampled_from(FEATURE_FAMILIES), rest=tail)
def test_every_feature_family_goes_to_feature_api(family: str, rest: str) -> None:
    assert upstream_of(f"/api/{family}{rest}") == "feature_api"


@given(family=st.sampled_from(FEATURE_ADMIN_FAMILIES), rest=tail)
def test_feature_admin_families_go_to_feature_api(family: str, rest: str) -> None:
    assert upstream_of(f"/api/admin/{family}{rest}") == "feature_api"


@given(workspace=segment, family=st.sampled_from(FEATURE_WORKSPACE_FAMILIES), rest=tail)
def test_workspace_feature_families_go_to_feature_api(
    workspace: str, family: str, rest: str
) -> None:
    assert upstream_of(f"/api/workspaces/{workspace}/{family}{rest}") == "feature_api"


@given(first=segment, rest=tail)
def test_everything_else_under_api_goes_to_core_api(first: str, rest: str) -> None:
    path = f"/api/{first}{rest}"
    parts = path.split("/")
    feature = (
        first in FEATURE_FAMILIES
        or (first == "admin" and len(parts) > 3 and parts[3] in FEATURE_ADMIN_FAMILIES)
        or (first == "workspaces" and len(parts) > 4 and parts[4] in FEATURE_WORKSPACE_FAMILIES)
    )
    assert upstream_of(path) == ("feature_api" if feature else "core_api")


origin = st.from_regex(r"https?://[a-z0-9.-]{1,15}(:[0-9]{2,5})?", fullmatch=True)


@given(origins=st.lists(origin, min_size=1, max_size=4), candidate=origin)
def test_an_origin_is_allowed_exactly_when_it_is_listed(origins: list[str], candidate: str) -> None:
    listed = ",".join(origins)
    assert origin_allowed(listed, candidate) == (candidate in origins)
    for item in origins:
        assert origin_allowed(listed, item)


def test_default_origins_allow_the_local_frontend_only() -> None:
    assert origin_allowed(gateway.DEFAULT_CORS_ORIGINS, "http://localhost:3000")
    assert origin_allowed(gateway.DEFAULT_CORS_ORIGINS, "http://127.0.0.1:3000")
    assert not origin_allowed(gateway.DEFAULT_CORS_ORIGINS, "http://localhost:30000")
    assert not origin_allowed(gateway.DEFAULT_CORS_ORIGINS, "http://evil.example")
    assert not origin_allowed(gateway.DEFAULT_CORS_ORIGINS, "")


def test_origins_with_spaces_are_normalised() -> None:
    assert gateway.normalise_origins(" http://a:1 , ,http://b:2 ") == "http://a:1,http://b:2"


def test_rendering_fills_every_placeholder_and_keeps_nginx_variables() -> None:
    values = {name: f"<{name}>" for name in gateway.placeholders(TEMPLATE)}
    rendered = gateway.render(TEMPLATE, values)
    assert "${" not in rendered
    assert "$request_id" in rendered and "$http_origin" in rendered
    with pytest.raises(gateway.MissingPlaceholder):
        gateway.render(TEMPLATE, {})


def test_the_docker_images_envsubst_step_yields_a_config_nginx_accepts(tmp_path: Path) -> None:
    """What /docker-entrypoint.d/20-envsubst-on-templates.sh does in the nginx
    image: envsubst with the name of every defined variable, then nginx -t."""
    import os
    import shutil
    import subprocess

    import yaml

    from sendfx_dev.ports import free_port

    nginx, envsubst = gateway.nginx_binary(), shutil.which("envsubst")
    if nginx is None or envsubst is None:
        pytest.skip("nginx and envsubst are installed by make install / gettext-base")
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = {
        "PATH": os.environ["PATH"],
        "HOSTNAME": "gateway",
        "HOME": "/root",
        "NGINX_VERSION": "1.27.5",
        **{k: str(v) for k, v in compose["services"]["gateway"]["environment"].items()},
        # compose's service names do not resolve outside Docker
        "CORE_API_UPSTREAM": "127.0.0.1:1",
        "FEATURE_API_UPSTREAM": "127.0.0.1:2",
        "USAGE_INGESTOR_UPSTREAM": "127.0.0.1:3",
        "GATEWAY_HOST": "127.0.0.1",
        "GATEWAY_PORT": str(free_port()),
        "CORS_ORIGINS": "http://localhost:3000,http://127.0.0.1:3000",
    }
    defined = " ".join(f"${{{name}}}" for name in env)
    conf = subprocess.run(
        [envsubst, defined], input=TEMPLATE, capture_output=True, text=True, env=env, check=True
    ).stdout
    assert "${" not in conf
    assert "$request_id" in conf and "proxy_pass http://$sendfx_upstream;" in conf
    assert 'map "http://localhost:3000,http://127.0.0.1:3000|$http_origin"' in conf
    (tmp_path / "default.conf").write_text(conf)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
        "events {}\n"
        f"http {{ include {tmp_path}/default.conf; }}\n"
    )
    check = subprocess.run(
        [
            nginx,
            "-t",
            "-q",
            "-p",
            str(tmp_path),
            "-e",
            str(tmp_path / "error.log"),
            "-c",
            str(tmp_path / "nginx.conf"),
        ],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
