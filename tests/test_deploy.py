"""The deployment recipe (deploy/) names only settings, commands and ports the agent really has.

Docker is not run here (docs/deploy.md says so); these checks keep the files from drifting away
from the code that ``tests/test_shared_state.py`` runs for real.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from typer.testing import CliRunner

from agent.cli.main import app
from agent.settings import Settings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_every_setting_the_compose_file_sets_is_a_real_setting() -> None:
    services = _compose()["services"]
    names = {
        key
        for service in services.values()
        for key in (service.get("environment") or {})
        if key.startswith("ATTENTIVE_")
    }
    fields = {f"ATTENTIVE_{name.upper()}" for name in Settings.model_fields}
    assert {"ATTENTIVE_DATABASE_URL", "ATTENTIVE_CHROMA_URL", "ATTENTIVE_LLM"} <= names
    assert names <= fields, names - fields


def test_the_commands_the_compose_file_runs_exist() -> None:
    runner = CliRunner()
    for service in _compose()["services"].values():
        command = service.get("command") or []
        if command[:1] == ["attentive"]:
            done = runner.invoke(app, [*command[1:], "--help"])
            assert done.exit_code == 0, (command, done.output)


def test_the_proxy_sends_traffic_to_the_port_the_replicas_listen_on() -> None:
    replica = _compose()["services"]["replica"]["command"]
    port = replica[replica.index("--port") + 1]
    upstream = re.search(r"server replica:(\d+);", (DEPLOY / "nginx.conf").read_text(encoding="utf-8"))
    assert upstream is not None and upstream.group(1) == port
