from eval.sources_check import margin_table, markdown, proposed_margin

ROWS = (
    [{"id": f"a{i}", "answerable": True, "log_odds": value} for i, value in enumerate([2.0, 1.5, 1.2, 0.9, 0.8, 0.7, 0.6, 0.45, 0.35, 0.1])]
    + [{"id": "a-floor", "answerable": True, "log_odds": None}]  # retrieval's floor said "nothing found"
    + [{"id": f"u{i}", "answerable": False, "log_odds": value} for i, value in enumerate([1.1, 0.5, 0.3, -0.2])]
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


def test_the_report_names_the_command_and_both_rates():
    text = markdown(margin_table(ROWS, margins=(0.4,)), 0.4, 0.5, "python -m eval.sources_check")
    assert "`python -m eval.sources_check`" in text
    assert "| 0.4 | 27.3% (3/11) | 50.0% (2/4) |" in text
