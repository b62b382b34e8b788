"""`klimawissen ask` over the shipped corpus cites the document that holds the answer."""

import json

import pytest

from tests.conftest import klimawissen_command

SAMPLE_QUESTIONS = [
    ("Wie viel CO2 spart die Hirschberg-Klinik pro Jahr?", "cs-hirschberg-klinik-heizungsoptimierung"),
    ("Welche Förderung bekam Oberbilker Drehteile für die Druckluftsanierung?", "cs-oberbilker-drehteile-druckluft"),
    ("Wer hielt beim ersten Netzwerktreffen den Impulsvortrag?", "pact-erstes-netzwerktreffen"),
    ("How much did Quadrant Colocation invest in free cooling?", "cs-quadrant-colocation-free-cooling"),
    ("Wie hoch ist der Emissionsfaktor für Erdgas in der THG-Bilanz?", "guide-thg-bilanz-scope-1-3"),
    ("Welche Erfahrungen machte die Citylogistik Fehrmann mit den E-Transportern?", "cs-citylogistik-fehrmann-e-transporter"),
    ("Bis wann will Düsseldorf klimaneutral sein?", "pact-erstes-netzwerktreffen"),
    ("Wie hat die Bäckerei Conradi die Ofenabwärme genutzt?", "cs-backhaus-conradi-ofenabwaerme"),
]


@pytest.mark.parametrize("question, expected_doc", SAMPLE_QUESTIONS)
def test_sample_question_cites_the_expected_document(indexed_corpus, question, expected_doc):
    result = klimawissen_command("ask", "--json", question, data_dir=indexed_corpus)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    cited = [citation["doc_id"] for citation in answer["citations"]]
    assert expected_doc in cited, cited
    assert all(f"[{n}]" in answer["answer"] for n in range(1, len(cited) + 1))
