import hashlib
from pathlib import Path

import tiktoken

from indexing.readers.base import ReadDocument, TextUnit
from indexing.sentences import split_sentences
from indexing.splitting import Chunker, embedding_input, input_key, sentence_inputs

LONG_PAGE = " ".join(f"Satz Nummer {i} beschreibt die Wärmerückgewinnung der Anlage ca. 5 % genauer." for i in range(60))


def document() -> ReadDocument:
    return ReadDocument(
        doc_id="cs-test",
        path=Path("cs-test.pdf"),
        content_hash="x",
        units=[TextUnit(LONG_PAGE, page=1, heading="Maßnahme"), TextUnit("Kurze zweite Seite.", page=2, heading="Ergebnis")],
        metadata={"title": "Testfall", "sector": "crafts", "measure_types": ["heat-pump"], "year": 2024},
        file_type="pdf",
    )


def test_chunks_respect_the_size_and_never_cross_a_page():
    chunks = Chunker(chunk_size=80, chunk_overlap=15).split(document())
    tokens = tiktoken.get_encoding("cl100k_base")

    assert len(chunks) > 5
    assert all(len(tokens.encode(chunk.text)) <= 80 for chunk in chunks)
    assert chunks[-1].text == "Kurze zweite Seite." and chunks[-1].metadata["page"] == 2
    assert {chunk.metadata["page"] for chunk in chunks[:-1]} == {1}


def test_chunks_overlap_and_end_on_sentence_boundaries():
    chunks = Chunker(chunk_size=80, chunk_overlap=40).split(document())[:-1]
    for previous, current in zip(chunks, chunks[1:]):
        assert split_sentences(previous.text)[-1] in current.text  # the overlap carries the last sentence on
    sentences = set(split_sentences(LONG_PAGE))
    assert all(split_sentences(chunk.text)[-1] in sentences for chunk in chunks)


def test_every_chunk_carries_document_metadata_page_and_heading():
    chunks = Chunker(chunk_size=80, chunk_overlap=15).split(document())
    for index, chunk in enumerate(chunks):
        assert chunk.id_ == f"cs-test::{index:05d}"
        assert chunk.metadata["doc_id"] == "cs-test"
        assert chunk.metadata["sector"] == "crafts" and chunk.metadata["measure_types"] == ["heat-pump"]
        assert chunk.metadata["heading"] in ("Maßnahme", "Ergebnis")
    assert embedding_input(chunks[-1]) == ("Testfall – Ergebnis", "Kurze zweite Seite.")
    assert sentence_inputs(chunks[-1]) == [("Testfall – Ergebnis", "Kurze zweite Seite.")]
    # The key of what is embedded is the hash e5 indexes were written with: their vectors stay reusable.
    assert input_key(embedding_input(chunks[-1])) == hashlib.sha256(
        "Testfall – Ergebnis\nKurze zweite Seite.".encode()).hexdigest()[:24]
