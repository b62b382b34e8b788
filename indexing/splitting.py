"""Split read documents into chunks (llama-index TextNodes) that know their document, page and heading.

Chunks never cross a text unit, so every chunk has exactly one page and one section to cite.
"""

from __future__ import annotations

import hashlib
from functools import cached_property

from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import TextNode

from indexing.embedding import with_context
from indexing.readers import ReadDocument
from indexing.sentences import split_sentences


class Chunker:
    def __init__(self, chunk_size: int, chunk_overlap: int):
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap

    @cached_property
    def _splitter(self) -> SentenceSplitter:
        return SentenceSplitter(
            chunk_size=self.chunk_size,
            chunk_overlap=self.chunk_overlap,
            # The splitter re-joins pieces as they are, so each sentence keeps a separating space.
            chunking_tokenizer_fn=lambda text: [sentence + " " for sentence in split_sentences(text)],
            paragraph_separator="\n\n",
        )

    def split(self, document: ReadDocument) -> list[TextNode]:
        nodes: list[TextNode] = []
        for unit in document.units:
            for text in self._splitter.split_text(unit.text):
                text = text.strip()
                metadata = dict(document.metadata, doc_id=document.doc_id, file_type=document.file_type)
                if unit.page is not None:
                    metadata["page"] = unit.page
                if unit.heading:
                    metadata["heading"] = unit.heading
                metadata["chunk_index"] = len(nodes)
                nodes.append(TextNode(id_=chunk_id(document.doc_id, len(nodes)), text=text, metadata=metadata))
        return nodes


def chunk_id(doc_id: str, index: int) -> str:
    return f"{doc_id}::{index:05d}"


def embedding_input(node: TextNode) -> tuple[str, str]:
    """What the embedder sees of a chunk, as (context, text): title and section give a short chunk the
    context a reader would have (LocalEmbedding.embed_documents)."""
    return _context(node.metadata), node.text


def sentence_inputs(node: TextNode) -> list[tuple[str, str]]:
    """What the embedder sees of each of a chunk's sentences: the same context, then the one sentence."""
    context = _context(node.metadata)
    return [(context, sentence) for sentence in split_sentences(node.text)] or [embedding_input(node)]


def input_key(item: tuple[str, str]) -> str:
    """A short hash of what is embedded, to reuse a vector for the same context and text."""
    return hashlib.sha256(with_context(*item).encode()).hexdigest()[:24]


def _context(meta: dict) -> str:
    # A title that is only the file name (see document_metadata) tells the embedder nothing.
    title = meta.get("title") if meta.get("title") != meta.get("doc_id") else ""
    return " – ".join(part for part in (title, meta.get("heading")) if part)
