"""The chat model as a helper for measure facts: it picks, the text proves. A recording fake model for the
rules of acceptance, the loopback OpenAI-compatible server for the HTTP path, and the real local model
once on a small case study."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from llama_index.core.llms import ChatMessage, ChatResponse, MessageRole

from indexing.fact_llm import LLM, FactHelper, build_messages, document_text, parse_reply
from indexing.facts import extract_facts, extract_from_text
from indexing.readers.base import ReadDocument, TextUnit


class RecordingChat:
    """Replies from a script (a string, or an exception to raise) and records every prompt."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.prompts: list[list[ChatMessage]] = []

    def chat(self, messages: list[ChatMessage]) -> ChatResponse:
        self.prompts.append(messages)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=reply))


def reply(**figures) -> str:
    keys = ("co2e_t_per_year", "energy_mwh_per_year", "investment_eur", "payback_years")
    return "```json\n" + json.dumps({key: figures.get(key) for key in keys}, ensure_ascii=False) + "\n```"


def document(units: list[TextUnit], language: str = "de", figures: dict | None = None) -> ReadDocument:
    return ReadDocument("fall", Path("fall.md"), "hash", units, {"language": language}, "markdown", figures or {})


# The rules take the gas line's 1.056 MWh for the energy saved (a cue word, a minus sign); the total,
# 1.106 MWh on page 2, is the right figure. Investment and CO2e the rules get right.
CASE = document([
    TextUnit("Im Basisjahr verbrauchte die Flotte 82.500 kg Flüssiggas, das sind 1.056 MWh. Die Investition "
             "betrug 1,25 Mio. Euro.", page=1, heading="Ausgangslage"),
    TextUnit("| Flüssiggas | −1.056 MWh |\n| Ladestrom | +165 MWh |\n\nUnterm Strich spart das Lager 1.106 MWh "
             "Endenergie im Jahr. Die Emissionen sinken um 215,4 t CO2e pro Jahr.", page=2, heading="Ergebnisse"),
    TextUnit("Die Anlage hat sich nach 30 Monaten amortisiert.", page=3, heading="Wirtschaftlichkeit"),
])


def by_field(facts) -> dict:
    return {fact.field: fact for fact in facts}


def test_the_rules_alone_take_a_part_for_the_energy_total():
    """The premise of the other tests: what the rules find in CASE without a model."""
    rules = by_field(extract_from_text(CASE))
    assert rules["energy_saved_mwh_per_year"].value == pytest.approx(1056)
    assert rules["investment_eur"].value == pytest.approx(1_250_000)
    assert rules["co2e_saved_t_per_year"].value == pytest.approx(215.4)
    assert rules["payback_years"].value == pytest.approx(2.5)


def test_a_figure_the_text_states_is_accepted_with_its_page_and_sentence():
    model = RecordingChat(reply(energy_mwh_per_year="1.106 MWh", co2e_t_per_year="215,4 t"))
    facts = by_field(extract_facts(CASE, FactHelper(model)))

    energy = facts["energy_saved_mwh_per_year"]
    assert energy.value == pytest.approx(1106)
    assert (energy.page, energy.heading, energy.origin) == (2, "Ergebnisse", LLM)
    assert "Unterm Strich spart das Lager 1.106 MWh Endenergie im Jahr." in energy.passage
    assert facts["co2e_saved_t_per_year"].origin == "text"  # the rules found it too: their fact stays
    assert len(model.prompts) == 1


def test_figures_absent_from_the_text_are_rejected():
    """Computed (1.056 + 50), converted to a unit the text does not use for it, or simply made up: none of
    them stands in the text next to a fitting unit, so the rule facts stay."""
    helper = FactHelper(RecordingChat(reply(energy_mwh_per_year="1106.5 MWh", co2e_t_per_year="215,4 kt",
                                            investment_eur=1_300_000, payback_years="3 Jahre")))
    facts = extract_facts(CASE, helper)

    assert facts == extract_facts(CASE)
    assert set(helper.last.rejected) == {"energy_saved_mwh_per_year", "co2e_saved_t_per_year", "investment_eur",
                                         "payback_years"}
    assert not helper.last.accepted


def test_a_number_in_the_text_with_the_unit_of_another_field_is_rejected():
    """82.500 stands in the text, but as kg of gas: not a figure in euros."""
    helper = FactHelper(RecordingChat(reply(investment_eur="82.500 €")))
    assert extract_facts(CASE, helper) == extract_facts(CASE)
    assert "investment_eur" in helper.last.rejected


@pytest.mark.parametrize("proposed,expected", [
    ("1,25 Mio. €", 1_250_000), ("1.250.000 EUR", 1_250_000), ("1,250,000 €", 1_250_000), (1250000, 1_250_000),
    ("1,25", 1_250_000),  # the bare number as written: the text's "Mio. Euro" decides
])
def test_german_and_english_notations_and_scales_find_the_same_number(proposed, expected):
    helper = FactHelper(RecordingChat(reply(investment_eur=proposed)))
    helper.improve(CASE, extract_from_text(CASE))
    assert helper.last.accepted["investment_eur"].fact.value == pytest.approx(expected)
    assert helper.last.accepted["investment_eur"].fact.page == 1


def test_months_and_kwh_are_read_in_the_fields_unit():
    text = ("Der Erdgasverbrauch sinkt um 930.000 kWh im Jahr, die Emissionen um 188 t CO2e. Die Investition "
            "von 240.000 € amortisiert sich nach 42 Monaten.")
    case = document([TextUnit(text, page=4)])
    helper = FactHelper(RecordingChat(reply(energy_mwh_per_year="930.000 kWh", payback_years="42 Monate")))
    facts = by_field(extract_facts(case, helper))
    assert facts["energy_saved_mwh_per_year"].value == pytest.approx(930)
    assert facts["payback_years"].value == pytest.approx(3.5)


def test_malformed_replies_and_failing_models_leave_the_rule_facts_unchanged():
    rules = extract_facts(CASE)
    for answer in ('{"co2e_t_per_year": "215,4 t", "energy_mwh_per_year": "1.106 MWh"',  # cut off
                   "Die Energieeinsparung beträgt 1.106 MWh.", "[1106]", "",
                   TimeoutError("the server did not answer")):
        helper = FactHelper(RecordingChat(answer))
        assert extract_facts(CASE, helper) == rules
        assert helper.last.error


def test_without_the_helper_the_facts_are_exactly_the_rules():
    rules = extract_from_text(CASE)
    assert extract_facts(CASE) == extract_facts(CASE, None)
    assert sorted(extract_facts(CASE), key=lambda f: f.field) == sorted(rules, key=lambda f: f.field)


def test_a_null_never_removes_a_rule_fact_and_an_empty_field_is_filled():
    """The model cannot take away what the rules proved; where the rules found nothing it may fill in."""
    case = document([TextUnit("Die Emissionen sinken um 40 t CO2e pro Jahr. Das Projekt verschlang 55.000 €, "
                              "davon 12.000 € Planung.", page=2)])
    assert "investment_eur" not in by_field(extract_from_text(case))
    facts = by_field(extract_facts(case, FactHelper(RecordingChat(reply(investment_eur="55.000 €")))))
    assert facts["co2e_saved_t_per_year"].value == pytest.approx(40)
    assert facts["investment_eur"].value == pytest.approx(55_000) and facts["investment_eur"].page == 2


def test_front_matter_figures_still_win_and_a_fully_declared_document_asks_no_model():
    figures = {"co2e_saved_t_per_year": 200.0, "energy_saved_mwh_per_year": 1106.0}
    model = RecordingChat(reply(energy_mwh_per_year="1.106 MWh", co2e_t_per_year="215,4 t"))
    facts = by_field(extract_facts(document(CASE.units, figures=figures), FactHelper(model)))
    assert facts["co2e_saved_t_per_year"].value == 200.0 and facts["co2e_saved_t_per_year"].origin == "front-matter"
    assert facts["energy_saved_mwh_per_year"].page == 2  # declared, and the model's choice shows where it stands

    every = {"co2e_saved_t_per_year": 1, "energy_saved_mwh_per_year": 1, "investment_eur": 1, "funding_eur": 0,
             "payback_years": 1, "funding_programme": "none", "scope": [1], "employees": 3}
    silent = RecordingChat()
    extract_facts(document(CASE.units, figures=every), FactHelper(silent))
    assert silent.prompts == []


def test_the_prompt_has_the_text_as_data_and_a_long_report_only_its_figure_lines():
    messages = build_messages(CASE)
    assert messages[0].role == MessageRole.SYSTEM and "JSON" in messages[0].content
    assert "<document>" in messages[1].content and "1.106 MWh" in messages[1].content

    filler = "Dieser Absatz beschreibt die Geschichte des Betriebs ohne eine einzige Kennzahl. " * 40
    long = document([TextUnit(filler, 1, "Geschichte"), *CASE.units])
    text = document_text(long, max_chars=600)
    assert len(text) <= 600 and "Geschichte des Betriebs" not in text
    assert "1.106 MWh" in text and "## Ergebnisse" in text


def test_parse_reply_takes_the_json_object_out_of_fences_and_words():
    assert parse_reply('Here you go:\n```json\n{"investment_eur": "96.000 €"}\n```') == {"investment_eur": "96.000 €"}
    assert parse_reply("no figures here") is None
    assert parse_reply('["96.000 €"]') is None


def test_the_pipeline_stores_the_models_choice_with_its_page(settings, fake_embedder, tmp_path, make_pdf):
    from assistant.service import Klimawissen
    from indexing.pipeline import IngestPipeline
    from indexing.splitting import Chunker

    service = Klimawissen(settings, embedder=fake_embedder)
    plain = service.pipeline
    model = RecordingChat(reply(energy_mwh_per_year="1.106 MWh"))
    pipeline = IngestPipeline(service.registry, service.store, service.keyword, service.embedder,
                              Chunker(settings.chunk_size, settings.chunk_overlap), service.fact_store,
                              settings.reader_limits, fact_helper=FactHelper(model))
    assert pipeline.fingerprint != plain.fingerprint  # turning the helper on reads the case studies again
    pdf = make_pdf(tmp_path / "hafenlager.pdf", [unit.text.replace("−", "-") for unit in CASE.units])

    [result] = pipeline.ingest([pdf])

    assert result.ok, result.message
    energy = by_field(service.measure_facts(result.doc_id))["energy_saved_mwh_per_year"]
    assert (energy.value, energy.page, energy.origin) == (pytest.approx(1106), 2, LLM)
    assert "1.106 MWh" in json.dumps([m.content for m in model.prompts[0]], ensure_ascii=False)


def test_an_openai_compatible_server_serves_as_the_model(fake_chat_server):
    from assistant.answering.llms import openai_compatible_llm
    from assistant.config import Settings

    fake_chat_server.replies.append(reply(energy_mwh_per_year="1.106 MWh", investment_eur="1,25 Mio. Euro"))
    llm = openai_compatible_llm(Settings(openai_base_url=fake_chat_server.url, openai_model="any"))
    facts = by_field(extract_facts(CASE, FactHelper(llm)))

    assert facts["energy_saved_mwh_per_year"].value == pytest.approx(1106)
    [request] = fake_chat_server.requests
    assert request["messages"][0]["role"] == "system" and "1.106 MWh" in request["messages"][1]["content"]


SMALL_CASE = document([
    TextUnit("Die Bäckerei Kampmann (fiktiv) hat 2024 ihre Backöfen an eine Wärmerückgewinnung angeschlossen. "
             "Vorher verursachte der Betrieb 410 t CO2e im Jahr.", page=1, heading="Ausgangslage"),
    TextUnit("Die Wärmerückgewinnung spart 95 MWh Erdgas im Jahr. Die Emissionen sinken dadurch um 19,2 t CO2e "
             "pro Jahr. Die Investition betrug 48.000 €; sie amortisiert sich nach 4,5 Jahren.",
             page=2, heading="Ergebnis"),
])


def test_the_real_local_model_reads_a_small_case_study(local_model_data_dir):
    """The bundled Qwen2.5 1.5B through llama.cpp, as the answers use it (the same loaded model): valid
    JSON, and whatever it picks stands in the text with its page."""
    from assistant.answering.local_model import LocalChatModel
    from assistant.config import Settings

    helper = FactHelper(LocalChatModel(local_model_data_dir / "models", threads=Settings().llm_threads))
    facts = by_field(extract_facts(SMALL_CASE, helper))

    assert not helper.last.error, helper.last.reply
    assert helper.last.accepted, helper.last.reply
    for candidate in helper.last.accepted.values():
        assert candidate.fact.page in (1, 2) and candidate.written.split()[0] in candidate.fact.passage
    assert facts["co2e_saved_t_per_year"].value == pytest.approx(19.2)
    assert facts["investment_eur"].value == pytest.approx(48_000)
    assert facts["payback_years"].value == pytest.approx(4.5)


def test_the_service_gives_the_pipeline_the_answer_model_only_when_the_setting_is_on(settings, fake_embedder, fake_chat_server):
    from assistant.service import Klimawissen

    server = dict(answer_backend="openai", openai_base_url=fake_chat_server.url, openai_model="any")
    assert Klimawissen(settings.replace(**server), embedder=fake_embedder).pipeline.fact_helper is None
    service = Klimawissen(settings.replace(facts_llm=True, **server), embedder=fake_embedder)
    assert service.pipeline.fact_helper.llm is service.answerer.llm
    assert "facts-llm" in service.pipeline.fingerprint.split("/")  # facts read with the model: a pipeline of its own
