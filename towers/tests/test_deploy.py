"""Production settings: configured from the environment, and `check --deploy` clean."""

import os
import subprocess
import sys

import pytest

SECRET = "x" * 20 + "-production-secret-for-the-deploy-check-0123456789"


def _check(env_extra):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "towers.settings.production", **env_extra}
    return subprocess.run(
        [sys.executable, "-m", "towers.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_check_deploy_is_clean_under_production_settings():
    result = _check({"SECRET_KEY": SECRET, "ALLOWED_HOSTS": "towers.example.org"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
def test_production_refuses_to_start_without_a_secret_key():
    result = _check({"SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
