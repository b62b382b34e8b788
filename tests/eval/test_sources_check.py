from eval.sources_check import margin_table, markdown, proposed_margin, tables_by_language

ROWS = (
    [{"id": f"a{i}", "language": "de", "answerable": True, "log_odds": value}
     for i, value in enumerate([2.0, 1.5, 1.2, 0.9, 0.8, 0.7, 0.6, 0.45, 0.35, 0.1])]
    + [{"id": "a-floor", "language": "de", "answerable": True, "log_odds": None}]  # retrieval's floor said "nothing found"
    + [{"id": f"u{i}", "language": "de", "answerable": False, "log_odds": value} for i, value in enumerate([1.1, 0.5, 0.3, -0.2])]
)
ENGLISH_ROWS = (
    [{"id": f"ea{i}", "language": "en", "answerable": True, "log_odds": value} for i, value in enumerate([1.0, 0.5, 0.3, -0.1])]
    + [{"id": "eu", "language": "en", "answerable": False, "log_odds": 0.2}]
)


def test_a_margin_turns_away_every_question_not_above_it_and_the_floors():
    table = {row["margin"]: row for row in margin_table(ROWS, margins=(0.0, 0.4, 0.6))}
    assert table[0.0]["answerable turned away"] == 1 and table[0.0]["unanswerable caught"] == 1
    assert table[0.4]["answerable turned away"] == 3 and table[0.4]["unanswerable caught"] == 2
    assert table[0.6]["answerable turned away"] == 5 and table[0.6]["unanswerable caught"] == 3
    assert table[0.6]["answerable"] == 11 and table[0.6]["unanswerable"] == 4


def test_the_proposed_margin_is_the_largest_turning_away_under_the_limit():
    table = margin_table(ROWS, margins=(0.0, 0.2, 0.4, 0.6))
    assert proposed_margin(table, max_turned_away=0.10) == 0.0  # 1 of 11 at 0.0 is 9 %; 2 of 11 at 0.2 is 18 %
    assert proposed_margin(table, max_turned_away=0.30) == 0.4  # 3 of 11 = 27 %
    assert proposed_margin(margin_table(ROWS, margins=(0.6,)), max_turned_away=0.10) is None


def test_each_language_gets_a_table_of_its_own_questions():
    tables = tables_by_language(ROWS + ENGLISH_ROWS, margins=(0.0, 0.4))
    english = {row["margin"]: row for row in tables["en"]}
    assert english[0.4]["answerable"] == 4 and english[0.4]["unanswerable"] == 1
    assert english[0.4]["answerable turned away"] == 2 and english[0.4]["unanswerable caught"] == 1
    assert tables["de"] == margin_table(ROWS, margins=(0.0, 0.4))
    assert proposed_margin(tables["en"], max_turned_away=0.30) == 0.0  # 1 of 4 at 0.0; 2 of 4 at 0.4


def test_the_report_names_the_command_and_both_rates_per_language():
    tables = tables_by_language(ROWS + ENGLISH_ROWS, margins=(0.0, 0.4))
    text = markdown(tables, {"de": 0.0, "en": None}, {"de": 0.4, "en": 0.3}, "python -m eval.sources_check")
    assert "`python -m eval.sources_check`" in text
    assert "| de | 0.4 | 0.0 | 27.3% (3/11) | 50.0% (2/4) |" in text
    assert "| en | 0.3 | None | – | – |" in text  # 0.3 is not in the table's margins
    assert "| 0.4 | 50.0% (2/4) | 100.0% (1/1) |" in text
