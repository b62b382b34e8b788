"""Corpora for the measurements: the sample corpus as it is, and synthetic stores of 1k–100k chunks.

Synthetic documents are made of real sentences (the sample corpus and the German/English XQuAD
paragraphs) recombined into case studies of invented companies with varied numbers, so the keyword
index sees realistic vocabulary. Embedding 100k chunks would take hours on 2 cores, so a pool
of a few thousand chunk texts is embedded once (cached in the workdir); the stores are filled with
variants of those chunks (other company names and numbers in the text, the pool vector plus a little
deterministic noise) written directly through ChunkStore.add and KeywordIndex.add, so both the dense and
the keyword index really hold every chunk. Where the settings embed sentences (e5), each pool chunk's
sentences are embedded too, as ingestion embeds them; a variant carries its pool chunk's sentence
vectors, so every search reads them as it does on a store the pipeline wrote.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import shutil
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from llama_index.core.schema import TextNode

from bench.context import CORPUS_DOCUMENTS, XQUAD, Context
from indexing.keyword import KeywordIndex
from indexing.pipeline import collect_files
from indexing.readers import read_file
from indexing.sentences import split_sentences
from indexing.sentence_vectors import METADATA_KEY as SENTENCE_VECTORS
from indexing.sentence_vectors import encode
from indexing.splitting import Chunker, chunk_id, embedding_input, input_key, sentence_inputs
from indexing.store import ChunkStore, connect
from indexing.vocabulary import MEASURE_TYPES

# Characters of Markdown or text counted as one page (a PDF page of the corpus holds ~2,500–3,500).
PAGE_CHARS = 3000
# Standard deviation per dimension of the noise added to a pool vector (cosine to it ≈ 0.98).
NOISE = 0.01
LLAMA_COLLECTION = "llama_index_baseline"
STORE_VERSION = 3  # 3: sentence vectors in every chunk's metadata; 2: one Chroma collection per language, plus one of all chunks for llama-index
WRITE_BATCH = 2000


@lru_cache(maxsize=1)
def _tokenizer():
    from llama_index.core.utils import get_tokenizer

    return get_tokenizer()


def count_tokens(texts: list[str]) -> int:
    """Tokens of the tiktoken cl100k tokenizer llama-index uses (and our chunk sizes are given in)."""
    tokenize = _tokenizer()
    return sum(len(tokenize(text)) for text in texts)


def corpus_stats(files: list[Path]) -> dict:
    """Documents, PDF pages, and pages counting Markdown/text as one page per 3,000 characters."""
    pdf_pages = text_pages = chars = pdfs = 0
    for path in files:
        document = read_file(path)
        size = sum(len(unit.text) for unit in document.units)
        chars += size
        pages = {unit.page for unit in document.units if unit.page is not None}
        if pages:
            pdfs += 1
            pdf_pages += len(pages)
        else:
            text_pages += max(1, math.ceil(size / PAGE_CHARS))
    return {"files": len(files), "pdfs": pdfs, "pdf_pages": pdf_pages, "text_page_equivalents": text_pages,
            "pages": pdf_pages + text_pages, "characters": chars}


def chunk_corpus(files: list[Path], chunker: Chunker) -> list[TextNode]:
    """The chunks our pipeline makes of these files, with the embedding key it records."""
    nodes = []
    for path in files:
        for node in chunker.split(read_file(path)):
            node.metadata["embedding_key"] = input_key(embedding_input(node))
            nodes.append(node)
    return nodes


# --- synthetic documents ---------------------------------------------------------------------------

DISTRICTS = (
    "Bilker", "Derendorfer", "Flinger", "Gerresheimer", "Hammer", "Heerdter", "Kaiserswerther", "Lörricker",
    "Oberkasseler", "Benrather", "Eller", "Garather", "Hasseler", "Holthausener", "Itterer", "Lichtenbroicher",
    "Mörsenbroicher", "Stockumer", "Urdenbacher", "Volmerswerther", "Wittlaerer", "Angermunder", "Hubbelrather",
    "Himmelgeister", "Knittkuhler", "Ludenberger", "Reisholzer", "Vennhauser", "Wersterner", "Golzheimer",
)
TRADES = (
    ("Metallbau", "metalworking"), ("Bäckerei", "food-production"), ("Druckerei", "printing"),
    ("Spedition", "logistics"), ("Kältetechnik", "crafts"), ("Gebäudetechnik", "crafts"),
    ("Brauerei", "food-production"), ("Feinkost", "retail"), ("Galvanik", "chemicals"),
    ("Zahnradfabrik", "manufacturing"), ("Autohaus", "retail"), ("Steuerkanzlei", "services"),
    ("Hotel", "hospitality"), ("Klinik", "healthcare"), ("Rechenzentrum", "it-services"),
    ("Wäscherei", "services"), ("Gärtnerei", "crafts"), ("Schreinerei", "crafts"),
    ("Wohnungsbau", "real-estate"), ("Kunststofftechnik", "manufacturing"),
)
LEGAL_FORMS = ("GmbH", "GmbH & Co. KG", "e.K.", "AG", "KG", "eG")
MEASURES = (
    "heat-pump", "waste-heat-recovery", "compressed-air", "led-lighting", "photovoltaics",
    "fleet-electrification", "building-envelope", "process-optimisation", "green-electricity", "refrigeration",
)
SECTIONS_DE = ("Ausgangslage", "Maßnahme", "Umsetzung", "Ergebnis", "Erfahrungen")
SECTIONS_EN = ("Starting point", "Measure", "Implementation", "Results", "Lessons learned")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def company_name(number: int) -> tuple[str, str]:
    """An invented company (name, sector key), different for each number up to 3,600."""
    district = DISTRICTS[number % len(DISTRICTS)]
    trade, sector = TRADES[(number // len(DISTRICTS)) % len(TRADES)]
    form = LEGAL_FORMS[(number // (len(DISTRICTS) * len(TRADES))) % len(LEGAL_FORMS)]
    return f"{district} {trade} {form}", sector


def vary_numbers(text: str, rng: random.Random) -> str:
    """Other figures of the same size and format; years stay as they are."""
    def replace(match: re.Match) -> str:
        raw = match.group(0)
        if re.fullmatch(r"(1[0-9]|20)\d\d", raw):
            return raw
        factor = rng.uniform(0.5, 1.6)
        if "," in raw or "." in raw:
            sep = "," if "," in raw else "."
            decimals = len(raw.split(sep)[1])
            value = float(raw.replace(",", ".")) * factor
            return f"{value:.{decimals}f}".replace(".", sep)
        return str(max(1, round(int(raw) * factor)))
    return _NUMBER.sub(replace, text)


@dataclass(frozen=True)
class SentencePools:
    de: tuple[str, ...]
    en: tuple[str, ...]


def _good(sentence: str) -> bool:
    return 40 <= len(sentence) <= 400 and "|" not in sentence and not sentence.startswith(("#", "-", "*"))


@lru_cache(maxsize=1)
def sentence_pools() -> SentencePools:
    """Real German and English sentences: the sample corpus and the XQuAD paragraphs."""
    de, en = [], []
    for path in collect_files([CORPUS_DOCUMENTS]):
        document = read_file(path)
        target = en if document.metadata.get("language") == "en" else de
        for unit in document.units:
            target.extend(s for s in split_sentences(unit.text) if _good(s))
    for language, target in (("de", de), ("en", en)):
        contexts = XQUAD / f"contexts_{language}.jsonl"
        if contexts.is_file():
            for line in contexts.read_text(encoding="utf-8").splitlines():
                target.extend(s for s in split_sentences(json.loads(line)["text"]) if _good(s))
    return SentencePools(tuple(de), tuple(en))


def synthetic_document(number: int, pools: SentencePools) -> str:
    """One Markdown case study of an invented company, from real sentences with varied numbers."""
    rng = random.Random(number)
    english = number % 5 == 4  # one in five in English, as in the sample corpus
    sentences = pools.en if english else pools.de
    company, sector = company_name(number)
    measures = rng.sample(MEASURES, 2)
    year = 2019 + number % 6
    sections = SECTIONS_EN if english else SECTIONS_DE
    if english:
        title = f"{company}: {MEASURE_TYPES[measures[0]][1]} and {MEASURE_TYPES[measures[1]][1]}"
        intro = "Synthetic case study for load tests: company, people and figures are invented."
        result = (f"{company} saves {rng.randint(20, 900)} MWh and {rng.uniform(5, 400):.1f} t CO2e per year; "
                  f"the investment of {rng.randint(20, 900) * 1000} euros pays back in {rng.uniform(1, 12):.1f} years.")
    else:
        title = f"{company}: {MEASURE_TYPES[measures[0]][0]} und {MEASURE_TYPES[measures[1]][0]}"
        intro = "Synthetisches Fallbeispiel für Lasttests: Unternehmen, Personen und Zahlen sind erfunden."
        co2, payback = (f"{rng.uniform(a, b):.1f}".replace(".", ",") for a, b in ((5, 400), (1, 12)))
        result = (f"Die {company} spart jährlich {rng.randint(20, 900)} MWh und {co2} t CO2e; die Investition "
                  f"von {rng.randint(20, 900) * 1000} Euro amortisiert sich in {payback} Jahren.")
    lines = [
        "---", f"id: syn-{number:05d}", f'title: "{title}"', f'company: "{company}"', f"sector: {sector}",
        f"measure_types: [{', '.join(measures)}]", f"year: {year}", f"language: {'en' if english else 'de'}",
        "doc_type: case-study", "---", "", f"# {title}", "", intro, "",
    ]
    for heading in sections[: rng.randint(3, 5)]:
        body = " ".join(vary_numbers(s, rng) for s in rng.sample(sentences, rng.randint(4, 9)))
        lines += [f"## {heading}", "", body, ""]
    lines += [result, ""]
    return "\n".join(lines)


def write_synthetic_documents(folder: Path, count: int) -> list[Path]:
    pools = sentence_pools()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        path = folder / f"syn-{number:05d}.md"
        text = synthetic_document(number, pools)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


# --- the embedded pool ------------------------------------------------------------------------------

@dataclass
class Pool:
    """Real chunks of the run's corpus and synthetic chunks, each with its really embedded vector."""

    real: list[TextNode]
    real_vectors: np.ndarray
    synthetic: list[TextNode]
    synthetic_vectors: np.ndarray
    fingerprint: str
    embed_seconds: float  # 0 when the vectors came from the cache
    sentence_vectors: list[str]  # per chunk (real, then synthetic), encoded as ingestion stores them


def build_pool(ctx: Context) -> Pool:
    """Chunk the corpus and enough synthetic documents for `config.pool` chunks; embed them once (cached)."""
    chunker = Chunker(ctx.settings.chunk_size, ctx.settings.chunk_overlap)
    real = chunk_corpus(ctx.files, chunker)
    wanted = max(ctx.config.pool - len(real), 1)
    synthetic: list[TextNode] = []
    folder = ctx.config.workdir / "synthetic-documents"
    count = 0
    while len(synthetic) < wanted:
        batch = max(8, (wanted - len(synthetic)) // 3)
        paths = write_synthetic_documents(folder, count + batch)[count:]
        count += batch
        synthetic += chunk_corpus(paths, chunker)
    synthetic = synthetic[:wanted]
    nodes = real + synthetic
    inputs = [embedding_input(n) for n in nodes]
    digest = hashlib.sha256(ctx.embedder.identity.encode())
    for key in map(input_key, inputs):
        digest.update(key.encode() + b"\0")
    fingerprint = digest.hexdigest()[:16]
    vectors, seconds = _embedded(ctx, inputs, ctx.config.workdir / "pool" / f"vectors-{fingerprint}.npy", "chunk texts")
    encoded, sentence_seconds = [""] * len(nodes), 0.0
    if ctx.settings.embed_sentences:
        sentences = [sentence_inputs(n) for n in nodes]
        flat = [item for chunk in sentences for item in chunk]
        flat_vectors, sentence_seconds = _embedded(
            ctx, flat, ctx.config.workdir / "pool" / f"sentences-{fingerprint}.npy", "sentence texts")
        encoded, start = [], 0
        for chunk in sentences:
            encoded.append(encode(flat_vectors[start:start + len(chunk)]))
            start += len(chunk)
    return Pool(real, vectors[: len(real)], synthetic, vectors[len(real):], fingerprint, seconds + sentence_seconds,
                encoded)


def _embedded(ctx: Context, texts: list[tuple[str, str]], cache: Path, what: str) -> tuple[np.ndarray, float]:
    """The (context, text) inputs' vectors, from the cache file or embedded once into it; and the seconds
    that took."""
    if cache.is_file():
        ctx.progress(f"  pool of {len(texts)} {what}: vectors from {cache}")
        return np.load(cache), 0.0
    ctx.progress(f"  embedding a pool of {len(texts)} {what} once (cached in {cache.parent}) …")
    started = time.perf_counter()
    parts = []
    for start in range(0, len(texts), 256):
        parts.append(np.asarray(ctx.embedder.embed_documents(texts[start:start + 256]), dtype=np.float32))
        ctx.progress(f"    {min(start + 256, len(texts))}/{len(texts)}")
    vectors = np.concatenate(parts)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors, time.perf_counter() - started


def _variant(node: TextNode, variant: int, position: int) -> TextNode:
    """Chunk `node` as if from another company's document: name, numbers and ids changed."""
    if variant == 0:
        return node
    meta = dict(node.metadata)
    company, sector = company_name(variant * 7919 + int(meta["doc_id"][4:]))
    old = str(meta.get("company", ""))
    rng = random.Random(variant * 1_000_003 + position)
    text = vary_numbers(node.text.replace(old, company), rng)
    doc_id = f"{meta['doc_id']}-v{variant}"
    meta.update(doc_id=doc_id, company=company, sector=sector, title=str(meta.get("title", "")).replace(old, company))
    meta["embedding_key"] = hashlib.sha256(text.encode()).hexdigest()[:24]
    return TextNode(id_=chunk_id(doc_id, meta["chunk_index"]), text=text, metadata=meta)


def _with_sentences(node: TextNode, sentence_vectors: str) -> TextNode:
    if not sentence_vectors:
        return node
    return TextNode(id_=node.id_, text=node.text, metadata={**node.metadata, SENTENCE_VECTORS: sentence_vectors})


def store_chunks(pool: Pool, size: int) -> Iterator[tuple[list[TextNode], np.ndarray]]:
    """`size` chunks in batches: the real ones first, then variants of the synthetic pool, each with its
    pool chunk's sentence vectors (if any) in its metadata."""
    n_real = min(size, len(pool.real))
    for start in range(0, n_real, WRITE_BATCH):
        end = min(n_real, start + WRITE_BATCH)
        nodes = [_with_sentences(pool.real[i], pool.sentence_vectors[i]) for i in range(start, end)]
        yield nodes, pool.real_vectors[start:end]
    fill = size - n_real
    n_pool = len(pool.synthetic)
    for start in range(0, fill, WRITE_BATCH):
        positions = range(start, min(fill, start + WRITE_BATCH))
        nodes = [_with_sentences(_variant(pool.synthetic[i % n_pool], i // n_pool, i),
                                 pool.sentence_vectors[len(pool.real) + i % n_pool]) for i in positions]
        base = pool.synthetic_vectors[[i % n_pool for i in positions]]
        noise = np.random.default_rng(start).normal(0.0, NOISE, base.shape).astype(np.float32)
        variants = np.array([i // n_pool for i in positions])
        vectors = np.where((variants > 0)[:, None], base + noise, base)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        yield nodes, vectors


def without_sentence_vectors(metadata: dict) -> dict:
    """What llama-index writes: the chunk's metadata, no sentence vectors (it has none)."""
    return {key: value for key, value in metadata.items() if key != SENTENCE_VECTORS}


def ensure_store(ctx: Context, pool: Pool, size: int, progress: Callable[[str], None] = print) -> tuple[Path, dict]:
    """A data dir holding `size` chunks in Chroma and the keyword index: reused if a complete one with the
    same pool and size exists in the workdir, else built (a marker file is written last)."""
    key = hashlib.sha256(f"{STORE_VERSION}|{pool.fingerprint}|{size}|{NOISE}".encode()).hexdigest()[:12]
    data_dir = ctx.config.workdir / "stores" / f"chunks-{size}-{key}"
    marker = data_dir / "complete.json"
    if marker.is_file():
        return data_dir, {**json.loads(marker.read_text()), "reused": True}
    shutil.rmtree(data_dir, ignore_errors=True)
    progress(f"  building a store of {size} chunks in {data_dir} …")
    settings = ctx.settings.replace(data_dir=data_dir)
    client = connect("", settings.chroma_path)
    store = ChunkStore(client, settings.collection, ctx.embedder.identity)
    # The plain llama-index baseline searches one collection of all chunks, as llama-index users have it.
    baseline = client.create_collection(LLAMA_COLLECTION, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
    keyword = KeywordIndex(settings.registry_path)
    started = time.perf_counter()
    written = 0
    for nodes, vectors in store_chunks(pool, size):
        store.add(nodes, vectors.tolist())
        baseline.add(ids=[n.id_ for n in nodes], documents=[n.text for n in nodes],
                     metadatas=[without_sentence_vectors(n.metadata) for n in nodes], embeddings=vectors.tolist())
        keyword.add(nodes)
        written += len(nodes)
        if written % 10_000 < WRITE_BATCH or written == size:
            progress(f"    {written}/{size}")
    info = {"chunks": written, "real_chunks": min(size, len(pool.real)), "build_seconds": round(time.perf_counter() - started, 1)}
    marker.write_text(json.dumps(info))
    return data_dir, {**info, "reused": False}
