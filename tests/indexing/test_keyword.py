"""The persistent BM25 keyword index: stems, compounds, filters, incremental updates."""

from llama_index.core.schema import TextNode

from indexing.keyword import KeywordIndex, analyse


def node(chunk_id: str, text: str, **metadata) -> TextNode:
    metadata.setdefault("doc_id", chunk_id.split("::")[0])
    return TextNode(id_=chunk_id, text=text, metadata=metadata)


DOCS = [
    node("waerme::0", "Die Wärmerückgewinnung an den Kompressoren heizt die Halle.", sector="metalworking",
         measure_types=["waste-heat-recovery", "compressed-air"], year=2023, language="de"),
    node("led::0", "Im Lager wurden alle Leuchten auf LED umgestellt.", sector="logistics",
         measure_types=["led-lighting"], year=2022, language="de"),
    node("foerder::0", "Die Förderung durch das BAFA deckte 40 % der Kosten.", sector="crafts",
         measure_types=["heat-pump"], year=2024, language="de"),
]


def index(tmp_path) -> KeywordIndex:
    keyword = KeywordIndex(tmp_path / "kw.sqlite3")
    keyword.add(DOCS)
    return keyword


def test_compound_question_finds_its_part_and_the_other_way_round(tmp_path):
    keyword = index(tmp_path)
    assert keyword.search("Wie groß ist die Wärmerückgewinnungsanlage?", 3)[0].chunk_id == "waerme::0"
    keyword.add([node("anlage::0", "Unsere Wärmerückgewinnungsanlage läuft seit Mai.")])
    hits = [hit.chunk_id for hit in keyword.search("Wärmerückgewinnung", 5)]
    assert set(hits[:2]) == {"waerme::0", "anlage::0"}


def test_stemming_matches_inflected_forms():
    assert analyse("Förderungen")[0] == analyse("Förderung")[0]
    assert analyse("Kompressoren")[0] == analyse("Kompressor")[0]


def test_filters_narrow_the_search(tmp_path):
    keyword = index(tmp_path)
    assert [h.chunk_id for h in keyword.search("Kosten Lager Halle", 5, {"sector": "logistics"})] == ["led::0"]
    assert [h.chunk_id for h in keyword.search("Halle Förderung", 5, {"measure_types": "compressed-air"})] == ["waerme::0"]
    assert keyword.search("Halle", 5, {"year": 2022}) == []


def test_index_persists_and_updates_per_document(tmp_path):
    index(tmp_path)
    reopened = KeywordIndex(tmp_path / "kw.sqlite3")
    assert reopened.count() == 3
    reopened.delete_document("led")
    assert reopened.count() == 2 and reopened.count("led") == 0
    assert reopened.search("LED Leuchten", 5) == []
