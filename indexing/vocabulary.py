"""The controlled vocabularies of document metadata, kept in one place.

Front matter, the corpus tests, the PDF build and the search filters all use these keys; keeping the
keys and their display labels together means a new sector or measure type is added once and shows up
everywhere with a proper German and English name. Each mapping is key -> (German label, English label).
"""

from __future__ import annotations

SECTORS: dict[str, tuple[str, str]] = {
    "crafts": ("Handwerk", "Crafts and trades"),
    "food-production": ("Lebensmittelherstellung", "Food production"),
    "logistics": ("Logistik", "Logistics"),
    "retail": ("Einzelhandel", "Retail"),
    "hospitality": ("Hotellerie und Gastronomie", "Hospitality"),
    "printing": ("Druck und Medien", "Printing and media"),
    "metalworking": ("Metallbearbeitung", "Metalworking"),
    "it-services": ("IT-Dienstleistungen", "IT services"),
    "chemicals": ("Chemie", "Chemicals"),
    "real-estate": ("Immobilienwirtschaft", "Real estate"),
    "healthcare": ("Gesundheitswesen", "Healthcare"),
    "services": ("Dienstleistungen", "Services"),
    "manufacturing": ("Produzierendes Gewerbe", "Manufacturing"),
    "public-sector": ("Öffentlicher Sektor", "Public sector"),
    "cross-sector": ("Branchenübergreifend", "Cross-sector"),
}

MEASURE_TYPES: dict[str, tuple[str, str]] = {
    "heat-pump": ("Wärmepumpe", "Heat pump"),
    "waste-heat-recovery": ("Abwärmenutzung", "Waste-heat recovery"),
    "compressed-air": ("Druckluft", "Compressed air"),
    "led-lighting": ("LED-Beleuchtung", "LED lighting"),
    "photovoltaics": ("Photovoltaik", "Photovoltaics"),
    "fleet-electrification": ("Elektrifizierung des Fuhrparks", "Fleet electrification"),
    "building-envelope": ("Gebäudehülle", "Building envelope"),
    "process-optimisation": ("Prozessoptimierung", "Process optimisation"),
    "green-electricity": ("Ökostrom", "Green electricity"),
    "employee-mobility": ("Mitarbeitendenmobilität", "Employee mobility"),
    "refrigeration": ("Kältetechnik", "Refrigeration"),
    "data-centre-cooling": ("Rechenzentrumskühlung", "Data-centre cooling"),
    "energy-management": ("Energiemanagement", "Energy management"),
    "heating-optimisation": ("Heizungsoptimierung", "Heating optimisation"),
}

DOC_TYPES: dict[str, tuple[str, str]] = {
    "pact": ("Klimapakt-Dokument", "Pact document"),
    "case-study": ("Fallbeispiel", "Case study"),
    "guide": ("Leitfaden", "Guide"),
    "meeting-notes": ("Sitzungsprotokoll", "Meeting notes"),
}

LANGUAGES: dict[str, tuple[str, str]] = {
    "de": ("Deutsch", "German"),
    "en": ("Englisch", "English"),
}


def label(vocabulary: dict[str, tuple[str, str]], key: str, language: str = "de") -> str:
    """The display label of `key` in `language` ("de" or "en"); an unknown key is shown as it is.

    Falling back to the raw key keeps a document with a typo readable instead of failing to display;
    the corpus tests are what reject unknown keys.
    """
    labels = vocabulary.get(key)
    if labels is None:
        return key
    return labels[1] if language == "en" else labels[0]
