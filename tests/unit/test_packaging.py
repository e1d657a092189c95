"""What can be checked of Docker without an engine, and the README's promises."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_parses_and_has_healthy_services() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"bot", "postgres", "redis"}
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("postgres", "redis"):
        assert "healthcheck" in services[name]
        assert services["bot"]["depends_on"][name]["condition"] == "service_healthy"
    assert compose["volumes"]


def test_image_command_matches_readme() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (.+)$", dockerfile, re.M)
    assert cmd is not None and cmd.group(1) == '["python", "-m", "bot"]'
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M), "the image must not run as root"
    assert "COPY migrations" in dockerfile
    readme = (ROOT / "README.md").read_text()
    assert "`python -m bot`" in readme


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "| run the tests | `make test` |" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_env_example_names_every_setting() -> None:
    from services.settings import Settings

    example = (ROOT / ".env.example").read_text()
    for name in Settings.model_fields:
        assert name.upper() in example, f"{name.upper()} missing from .env.example"
