"""A minimal llama-index vector store over a Chroma collection, for the plain llama-index baselines.

llama-index-vector-stores-chroma is not installed here (and the bench installs nothing), so this stand-in
makes the same chromadb calls its ChromaVectorStore makes: `upsert` with the node's embedding, text and
flat metadata (plus the serialised node, as llama-index stores it), and `query` by embedding, building
TextNodes from the stored text and metadata. It lets an IngestionPipeline write to Chroma and a
VectorStoreIndex search our own collection.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.schema import BaseNode, TextNode
from llama_index.core.vector_stores.types import BasePydanticVectorStore, VectorStoreQuery, VectorStoreQueryResult
from llama_index.core.vector_stores.utils import metadata_dict_to_node, node_to_metadata_dict
from pydantic import PrivateAttr


class ChromaCollectionStore(BasePydanticVectorStore):
    stores_text: bool = True
    flat_metadata: bool = True
    _collection: Any = PrivateAttr()

    def __init__(self, collection: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self._collection = collection

    @classmethod
    def class_name(cls) -> str:
        return "ChromaCollectionStore"

    @property
    def client(self) -> Any:
        return self._collection

    def add(self, nodes: list[BaseNode], **add_kwargs: Any) -> list[str]:
        for start in range(0, len(nodes), 1000):
            batch = nodes[start:start + 1000]
            self._collection.upsert(
                ids=[node.node_id for node in batch],
                embeddings=[node.get_embedding() for node in batch],
                documents=[node.get_content() for node in batch],
                metadatas=[node_to_metadata_dict(node, remove_text=True, flat_metadata=True) for node in batch],
            )
        return [node.node_id for node in nodes]

    def delete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        self._collection.delete(where={"document_id": ref_doc_id})

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        result = self._collection.query(
            query_embeddings=[query.query_embedding], n_results=query.similarity_top_k,
            include=["documents", "metadatas", "distances"],
        )
        nodes, similarities = [], []
        for cid, text, meta, distance in zip(
            result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0]
        ):
            try:
                node = metadata_dict_to_node(meta or {})
                node.set_content(text)
            except Exception:  # chunks written by our pipeline carry no serialised node: as ChromaVectorStore
                node = TextNode(id_=cid, text=text, metadata=dict(meta or {}))
            nodes.append(node)
            similarities.append(1.0 - distance)
        return VectorStoreQueryResult(nodes=nodes, similarities=similarities, ids=list(result["ids"][0]))
