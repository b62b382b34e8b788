"""The case study the staff user uploads during the load, in two versions that differ in one figure, and
the question that finds it: after each step the chat must answer from exactly what is published."""

from __future__ import annotations

UPLOAD_ID = "loadtest-upload"
UPLOAD_NAME = "loadtest-giesserei-quellenberg.md"
FIRST_FIGURE, CORRECTED_FIGURE = "140 t", "165 t"
PROBE_QUESTION = "Wie viel CO2 spart die Gießerei Quellenberg jährlich mit der Abwärme ihrer Schmelzöfen?"


def case_study(co2_saved: str) -> bytes:
    return f"""---
id: {UPLOAD_ID}
title: "Gießerei Quellenberg: Abwärme der Schmelzöfen heizt die Hallen"
company: "Gießerei Quellenberg GmbH (fiktiv)"
language: de
fictional: true
---

# Gießerei Quellenberg: Abwärme der Schmelzöfen heizt die Hallen

Fiktives Fallbeispiel des Lasttests: Unternehmen und Zahlen sind erfunden.

## Maßnahme

Die Gießerei Quellenberg führt die Abwärme ihrer Schmelzöfen über Wärmetauscher in die Hallenheizung.
Mit der Abwärme ihrer Schmelzöfen spart die Gießerei Quellenberg jährlich {co2_saved} CO2.
Die Gaskessel laufen seitdem nur noch an den kältesten Tagen.
""".encode()
