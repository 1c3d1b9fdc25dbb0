"""The Dockerfile and compose.yaml, checked as far as a machine that cannot pull images can check them.

The compose file parses and names what the README says; the Dockerfile copies every package the
project installs, runs as a user of its own, and its install, start and health-check steps are
run here, in a fresh venv holding only what the Dockerfile copies.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from slack_standin import SlackStandIn
from slack_standin.driver import SIGNING_SECRET, TOKEN
from tests.processes import ROOT, free_port, wait_healthy

DOCKERFILE = ROOT / "Dockerfile"
ROLES = ("web", "worker")
COMPOSE = ROOT / "compose.yaml"


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def exec_form(rest: str) -> list[str]:
    value = json.loads(rest)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), rest
    return value


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_the_image_is_slim_python_and_runs_as_a_user_of_its_own() -> None:
    steps = instructions()
    [base] = [rest for keyword, rest in steps if keyword == "FROM"]
    assert re.fullmatch(r"python:3\.1[1-9]-slim", base), base
    users = [rest for keyword, rest in steps if keyword == "USER"]
    assert users, "the image would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    # Nothing runs as root after the switch, and the app starts after it.
    last_user = max(i for i, (keyword, _) in enumerate(steps) if keyword == "USER")
    assert all(keyword != "RUN" for keyword, _ in steps[last_user:])


def test_the_image_copies_every_package_the_project_installs() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = {rest.split()[0] for keyword, rest in instructions() if keyword == "COPY"}
    assert packages <= copied, packages - copied
    assert "pyproject.toml" in " ".join(copied)


def test_the_image_starts_the_app_as_the_procfile_and_readme_do_and_checks_healthz() -> None:
    steps = dict(instructions())
    command = exec_form(steps["CMD"])
    assert command == ["python", "-m", "bot"], "the image's default runs both roles in one process"
    procfile = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert shlex.join(command) in readme
    for role in ROLES:
        assert f"{role}: {shlex.join([*command, role])}" in procfile
        assert shlex.join([*command, role]) in readme
    assert "/healthz" in steps["HEALTHCHECK"]
    assert steps["STOPSIGNAL"] == "SIGTERM"


def test_compose_runs_a_web_and_a_worker_on_postgresql_as_the_readme_says() -> None:
    spec = compose()
    services = spec["services"]
    assert set(services) == {*ROLES, "db"}
    db = services["db"]
    assert db["image"].startswith("postgres:")
    assert "healthcheck" in db
    env = db["environment"]
    cmd = exec_form(dict(instructions())["CMD"])
    for role in ROLES:
        app = services[role]
        assert app["build"] in (".", {"context": "."})
        assert app["command"] == [*cmd, role], app["command"]
        url = app["environment"]["DATABASE_URL"]
        match = re.fullmatch(r"postgresql://(\w+):(\w+)@db:5432/(\w+)", url)
        assert match, url
        assert match.groups() == (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_DB"])
        assert app["depends_on"]["db"]["condition"] == "service_healthy"
        # Longer than the app's own stop (5 s for requests, then 20 s for the work in hand).
        assert int(app["stop_grace_period"].rstrip("s")) >= 30
    # Only the web process is reached from outside; the worker's port serves /healthz inside.
    port = services["web"]["environment"]["PORT"]
    assert f"{port}:{port}" in services["web"]["ports"]
    assert "ports" not in services["worker"]

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Run it with Docker Compose", 1)[1].split("\n## ", 1)[0]
    assert "docker compose up" in section
    for name in services:
        assert f"`{name}`" in section, f"the README does not name the {name} service"
    assert "compose.yaml" in section and "Dockerfile" in section


@pytest.fixture
def image_like(tmp_path: Path) -> Path:
    """What the Dockerfile copies into /app, and nothing else."""
    app = tmp_path / "app"
    app.mkdir()
    for keyword, rest in instructions():
        if keyword != "COPY":
            continue
        *sources, _ = rest.split()
        for source in sources:
            origin = ROOT / source
            if origin.is_dir():
                shutil.copytree(origin, app / source, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(origin, app / source)
    return app


async def test_the_dockerfiles_install_start_and_health_steps_work_in_a_fresh_venv(
    image_like: Path, tmp_path: Path
) -> None:
    steps = instructions()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bin_dir = venv / "bin"
    # The dependencies come from the test's own environment (no index needed for them); the
    # project itself is built and installed from the copy, by the Dockerfile's own command.
    site = next((venv / "lib").glob("python3*/site-packages"))
    deps = next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
    (site / "deps.pth").write_text(deps + "\n", encoding="utf-8")
    env = {"PATH": f"{bin_dir}:{os.environ.get('PATH', '')}", "HOME": str(tmp_path)}
    for keyword, rest in steps:
        if keyword == "RUN" and "pip install" in rest:
            subprocess.run(
                rest, shell=True, cwd=image_like, env=env, check=True, timeout=300, capture_output=True
            )

    data = tmp_path / "data"  # WORKDIR /data: nothing of the project on the path
    data.mkdir()
    slack = SlackStandIn(token=TOKEN)
    await slack.start()
    port = free_port()
    run_env = {
        **env,
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{data}/peer-support.db",
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.base_url,
        "LOG_FORMAT": "json",
    }
    log = tmp_path / "app.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            *exec_form(dict(steps)["CMD"]), cwd=data, env=run_env, stdout=out, stderr=out
        )
    try:
        await wait_healthy(port, log, proc)
        health = await asyncio.create_subprocess_exec(
            *exec_form(dict(steps)["HEALTHCHECK"].split("CMD", 1)[1].strip()), cwd=data, env=run_env
        )
        assert await health.wait() == 0
        # The app ran from the venv the Dockerfile's step installed, not from the worktree.
        where = subprocess.run(
            [str(bin_dir / "python"), "-c", "import bot; print(bot.__file__)"],
            cwd=data,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        assert str(venv) in where.stdout, where.stdout
        # compose.yaml's web and worker commands, from the same install, beside it on its database.
        services = compose()["services"]
        for role in ROLES:
            role_port = free_port()
            role_log = tmp_path / f"{role}.log"
            with role_log.open("wb") as out:
                role_proc = await asyncio.create_subprocess_exec(
                    *services[role]["command"],
                    cwd=data,
                    env={**run_env, "PORT": str(role_port)},
                    stdout=out,
                    stderr=out,
                )
            try:
                await wait_healthy(role_port, role_log, role_proc)
            finally:
                role_proc.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(role_proc.wait(), timeout=30) == 0, role_log.read_text()[-3000:]
            assert f"{role} role" in role_log.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), timeout=30)
        await slack.stop()
    assert code == 0, log.read_text()[-3000:]
    assert all(json.loads(line) for line in log.read_text().splitlines() if line.strip())
