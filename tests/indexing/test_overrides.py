"""Metadata corrections kept in the registry and merged over what the reader finds, on real Chroma."""

from __future__ import annotations

import pytest

from assistant.service import Klimawissen
from indexing.pipeline import UNCHANGED, UPDATED
from indexing.registry import Registry


@pytest.fixture
def service(settings, fake_embedder):
    return Klimawissen(settings, embedder=fake_embedder)


def chunk_metadata(service: Klimawissen, doc_id: str) -> list[dict]:
    return service.store.records({"doc_id": doc_id}, ["metadatas"])["metadatas"]


def test_overrides_are_stored_per_document_and_an_empty_set_removes_them(settings):
    registry = Registry(settings.registry_path)
    registry.set_overrides("druckluft-notiz", {"sector": "metalworking", "company": None})
    registry.set_overrides("andere", {"year": 2024})

    assert Registry(settings.registry_path).overrides("druckluft-notiz") == {"sector": "metalworking", "company": None}
    registry.set_overrides("druckluft-notiz", {})
    assert registry.overrides("druckluft-notiz") == {}
    assert registry.overrides("andere") == {"year": 2024}


def test_clear_keeps_the_overrides_and_delete_drops_them(settings):
    registry = Registry(settings.registry_path)
    registry.set_overrides("a", {"year": 2020})
    registry.set_overrides("b", {"year": 2021})

    registry.clear()
    assert registry.overrides("a") == {"year": 2020}
    registry.delete("a")
    assert registry.overrides("a") == {} and registry.overrides("b") == {"year": 2021}


def test_from_source_finds_the_document_of_a_file_whatever_its_bytes(service, tiny_corpus):
    service.ingest([tiny_corpus])
    source = str((tiny_corpus / "druckluft-notiz.txt").resolve())

    assert service.registry.from_source(source).doc_id == "druckluft-notiz"
    assert service.registry.from_source(str(tiny_corpus / "fehlt.txt")) is None


def test_force_processes_unchanged_bytes_again(service, tiny_corpus):
    path = tiny_corpus / "druckluft-notiz.txt"
    service.ingest([path])

    assert service.pipeline.ingest_file(path).status == UNCHANGED
    assert service.pipeline.ingest_file(path, force=True).status == UPDATED


def test_overrides_win_over_the_file_in_registry_chunks_and_keyword_filters(service, tiny_corpus):
    path = tiny_corpus / "klimapakt-ziele.md"
    service.ingest([path])
    service.registry.set_overrides(
        "klimapakt-ziele", {"title": "Klimapakt: Ziele und Partner", "sector": "public-sector", "company": None}
    )

    result = service.pipeline.ingest_file(path, force=True)

    assert result.title == "Klimapakt: Ziele und Partner"
    record = service.registry.get("klimapakt-ziele")
    assert record.title == "Klimapakt: Ziele und Partner"
    assert record.metadata["sector"] == "public-sector" and "company" not in record.metadata
    assert record.metadata["year"] == 2023  # what the file says and no one corrected stays
    metadata = chunk_metadata(service, "klimapakt-ziele")
    assert metadata and all(m["sector"] == "public-sector" and "company" not in m for m in metadata)
    assert service.keyword.search("Klimapakt Partner", 5, {"sector": "public-sector"})
    assert not service.keyword.search("Klimapakt Partner", 5, {"sector": "cross-sector"})


def test_overrides_are_applied_to_a_changed_file_and_after_a_reindex(service, tiny_corpus):
    path = tiny_corpus / "druckluft-notiz.txt"
    service.registry.set_overrides("druckluft-notiz", {"sector": "metalworking"})
    service.ingest([tiny_corpus])

    path.write_text(path.read_text(encoding="utf-8") + "Die Amortisation dauerte acht Monate.\n", encoding="utf-8")
    assert service.ingest([path])[0].status == UPDATED
    assert service.registry.get("druckluft-notiz").metadata["sector"] == "metalworking"

    service.reindex([tiny_corpus])
    assert service.registry.get("druckluft-notiz").metadata["sector"] == "metalworking"
    assert all(m["sector"] == "metalworking" for m in chunk_metadata(service, "druckluft-notiz"))
    assert "sector" not in service.registry.get("baeckerei-abwaerme").metadata
