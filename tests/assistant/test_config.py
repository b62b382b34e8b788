from pathlib import Path

import pytest

from assistant.config import EMBEDDER_TUNING, ConfigError, Settings, load_settings, tuned_for
from indexing.readers import ReaderLimits


def test_defaults_come_from_code(tmp_path):
    settings = load_settings(environ={"KLIMAWISSEN_CONFIG": str(tmp_path / "absent.toml")})
    assert settings == Settings()
    assert settings.port == 7860 and settings.embedder == "gemma"


def test_the_code_defaults_are_the_default_embedders_tuning():
    assert {name: getattr(Settings(), name) for name in EMBEDDER_TUNING["gemma"]} == EMBEDDER_TUNING["gemma"]
    assert set(EMBEDDER_TUNING["e5"]) == set(EMBEDDER_TUNING["gemma"])


def test_another_embedder_brings_its_tuning_unless_a_value_is_set(tmp_path):
    config = tmp_path / "klimawissen.toml"
    config.write_text('embedder = "e5"\nkeyword_weight = 0.9\n')
    settings = load_settings(config, environ={})
    assert settings.min_relevance == EMBEDDER_TUNING["e5"]["min_relevance"] != Settings().min_relevance
    assert settings.keyword_weight == 0.9
    assert tuned_for(Settings(), "e5").min_relevance == EMBEDDER_TUNING["e5"]["min_relevance"]


def test_toml_overrides_defaults_and_environment_overrides_toml(tmp_path):
    config = tmp_path / "klimawissen.toml"
    config.write_text('port = 8000\ndata_dir = "/srv/kw"\ntop_k = 8\n')
    settings = load_settings(config, environ={"KLIMAWISSEN_PORT": "9001"})
    assert settings.port == 9001
    assert settings.data_dir == Path("/srv/kw") and settings.top_k == 8
    assert settings.registry_path == Path("/srv/kw/registry.sqlite3")


def test_unknown_setting_or_wrong_type_is_reported(tmp_path):
    config = tmp_path / "klimawissen.toml"
    config.write_text("prot = 8000\n")
    with pytest.raises(ConfigError, match="unknown setting.*prot"):
        load_settings(config, environ={})
    with pytest.raises(ConfigError, match="'port' must be int"):
        load_settings(environ={"KLIMAWISSEN_CONFIG": str(tmp_path / "none.toml"), "KLIMAWISSEN_PORT": "abc"})


def test_reading_limits_are_settings_like_any_other(tmp_path):
    config = tmp_path / "klimawissen.toml"
    config.write_text("max_pdf_pages = 300\nmax_read_seconds = 30\n")

    settings = load_settings(config, environ={"KLIMAWISSEN_MAX_READ_MEMORY_MB": "512", "KLIMAWISSEN_MAX_UPLOAD_MB": "20"})

    assert settings.reader_limits == ReaderLimits(max_mb=20, max_pages=300, max_seconds=30.0, max_memory_mb=512)
    assert Settings().reader_limits == ReaderLimits()
