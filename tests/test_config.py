"""Settings: `.env.example` lists every key with its real default; production refuses unsafe ones."""
import re
from pathlib import Path

import pytest
from dotenv import dotenv_values

from chat.kernel.config import Config, ProductionConfig, config_for

ROOT = Path(__file__).resolve().parent.parent


def settings_read_from_environment():
    source = (ROOT / "chat" / "kernel" / "config.py").read_text()
    return set(re.findall(r'get\("([A-Z0-9_]+)"', source))


def test_env_example_lists_every_setting_with_its_default():
    example = dotenv_values(ROOT / ".env.example")
    assert settings_read_from_environment() <= set(example), "every setting must be in .env.example"
    from_example = Config({k: v for k, v in example.items() if v is not None})
    defaults = Config({})
    for key, value in vars(defaults).items():
        assert getattr(from_example, key) == value, f"{key}: .env.example says otherwise than the code"


def test_production_refuses_development_secrets_and_wildcard_origins():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        config_for({"CHAT_ENV": "production"}).check()
    good = {"CHAT_ENV": "production", "SECRET_KEY": "s" * 40, "JWT_SECRET_KEY": "j" * 40}
    config_for(good).check()
    with pytest.raises(RuntimeError, match="CORS_ORIGINS"):
        ProductionConfig({**good, "CORS_ORIGINS": "*"}).check()
    with pytest.raises(RuntimeError, match="JWT_SECRET_KEY"):
        ProductionConfig({**good, "JWT_SECRET_KEY": "short"}).check()


def test_create_app_refuses_to_start_in_production_with_defaults(monkeypatch):
    from chat import create_app
    monkeypatch.setenv("CHAT_ENV", "production")
    with pytest.raises(RuntimeError, match="refusing to start"):
        create_app({"ASYNC_MODE": "threading"})


@pytest.mark.parametrize("uri, described", [
    ("mongodb://user:secret@db1:27017,db2:27017,db3:27017/?replicaSet=rs0", "mongodb://db1:27017,db2:27017,db3:27017"),
    ("mongodb+srv://user:secret@cluster.example.net/chat?retryWrites=true", "mongodb+srv://cluster.example.net"),
    ("mongodb://127.0.0.1:27017/?directConnection=true", "mongodb://127.0.0.1:27017"),
])
def test_the_store_is_described_without_credentials_or_options(uri, described):
    from chat.db import describe
    assert describe(uri, "chat") == f"{described}, database 'chat'"
