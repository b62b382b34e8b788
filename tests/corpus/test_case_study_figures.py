"""Checks of the sample corpus: front matter, case-study arithmetic, corpus size and the built PDFs.

The assistant quotes these figures to users, so a case study whose CO2e does not follow from its
energy savings, or whose text states a different investment than its metadata, would make the
assistant look wrong. Each document is its own test case so that a failure names the file.

Run: PYTHONPATH=/work/main .venv/bin/python -m pytest tests/corpus
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from indexing.frontmatter import FrontMatterError, read_front_matter
from indexing.vocabulary import DOC_TYPES, LANGUAGES, MEASURE_TYPES, SECTORS

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
DOCUMENTS = CORPUS / "documents"
PDF_SOURCES = CORPUS / "pdf-sources"
FACTORS: dict[str, float] = yaml.safe_load((CORPUS / "emission_factors.yaml").read_text(encoding="utf-8"))

REQUIRED_FIELDS = ("id", "title", "company", "sector", "measure_types", "year", "language", "doc_type")
LAYOUTS = ("one-column", "two-column")
# The figures schema of corpus/README.md; green_electricity_mwh_per_year is optional there.
FIGURE_KEYS = ("employees", "baseline_year", "investment_eur", "funding_programme", "funding_eur",
               "energy_savings", "energy_saved_mwh_per_year", "co2e_saved_t_per_year",
               "cost_savings_eur_per_year", "payback_years", "scope")
NUMERIC_FIGURES = ("employees", "baseline_year", "investment_eur", "funding_eur",
                   "energy_saved_mwh_per_year", "co2e_saved_t_per_year", "cost_savings_eur_per_year",
                   "payback_years")
FICTIONAL_MARK = {"de": re.compile(r"fiktiv", re.IGNORECASE), "en": re.compile(r"fictional", re.IGNORECASE)}

MIN_DOCUMENTS, MIN_ENGLISH, MIN_CASE_STUDIES, MIN_GUIDES, MIN_PDF_SOURCES = 40, 8, 25, 6, 10


def source_files() -> list[Path]:
    """Every document with front matter: Markdown and text in documents/, and the PDF sources."""
    return sorted([*DOCUMENTS.glob("*.md"), *DOCUMENTS.glob("*.txt")]) + sorted(PDF_SOURCES.glob("*.md"))


@lru_cache(maxsize=None)
def load(path: Path) -> tuple[dict[str, Any], str]:
    return read_front_matter(path)


def doc_type_or_none(path: Path) -> Any:
    """The declared doc_type, or None if the front matter is unreadable (another test reports that)."""
    try:
        return load(path)[0].get("doc_type")
    except (FrontMatterError, UnicodeDecodeError):
        return None


def case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


ALL_FILES = source_files()
CASE_STUDIES = [path for path in ALL_FILES if doc_type_or_none(path) == "case-study"]


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --------------------------------------------------------------------------------------------------
# Front matter of every document


def front_matter_problems(path: Path, meta: dict[str, Any]) -> list[str]:
    if not meta:
        return ["no front matter block ('---' ... '---') at the top of the file"]
    problems = [f"missing field '{key}'" for key in REQUIRED_FIELDS if key not in meta]
    if "id" in meta and meta["id"] != path.stem:
        problems.append(f"id '{meta['id']}' differs from the file name '{path.stem}'")
    if "title" in meta and not (isinstance(meta["title"], str) and meta["title"].strip()):
        problems.append("title is empty")
    if "company" in meta and not (isinstance(meta["company"], str) and meta["company"].strip()):
        problems.append("company is empty")
    if "sector" in meta and meta["sector"] not in SECTORS:
        problems.append(f"unknown sector '{meta['sector']}'")
    if "measure_types" in meta:
        measures = meta["measure_types"]
        if not isinstance(measures, list):
            problems.append("measure_types must be a list, e.g. [heat-pump] or []")
        else:
            problems += [f"unknown measure type '{m}'" for m in measures if m not in MEASURE_TYPES]
    if "year" in meta:
        year = meta["year"]
        if not (isinstance(year, int) and not isinstance(year, bool) and 2015 <= year <= 2026):
            problems.append(f"year must be a whole number from 2015 to 2026, not {year!r}")
    if "language" in meta and meta["language"] not in LANGUAGES:
        problems.append(f"language must be one of {sorted(LANGUAGES)}, not {meta['language']!r}")
    if "doc_type" in meta and meta["doc_type"] not in DOC_TYPES:
        problems.append(f"doc_type must be one of {sorted(DOC_TYPES)}, not {meta['doc_type']!r}")
    if path.parent == PDF_SOURCES and meta.get("layout", "one-column") not in LAYOUTS:
        problems.append(f"layout must be one of {LAYOUTS}, not {meta['layout']!r}")
    return problems


@pytest.mark.parametrize("path", ALL_FILES, ids=case_id)
def test_front_matter_is_complete_and_uses_the_vocabulary(path: Path) -> None:
    meta, _ = load(path)
    problems = front_matter_problems(path, meta)
    assert not problems, f"{case_id(path)}: " + "; ".join(problems)


def test_ids_are_unique_across_the_corpus() -> None:
    ids = Counter()
    for path in ALL_FILES:
        try:
            ids[load(path)[0].get("id", path.stem)] += 1
        except FrontMatterError:
            ids[path.stem] += 1
    duplicates = sorted(doc_id for doc_id, count in ids.items() if count > 1)
    assert not duplicates, f"ids used more than once: {duplicates}"


# --------------------------------------------------------------------------------------------------
# Case studies: figures and their arithmetic


def figures_problems(figures: Any) -> list[str]:
    """Schema problems; arithmetic is only checked once the schema is right."""
    if not isinstance(figures, dict):
        return ["no 'figures' block"]
    problems = [f"figures.{key} missing" for key in FIGURE_KEYS if key not in figures]
    problems += [f"figures.{key} must be a number, not {figures[key]!r}"
                 for key in NUMERIC_FIGURES if key in figures and not is_number(figures[key])]
    green = figures.get("green_electricity_mwh_per_year", 0)
    if not is_number(green):
        problems.append(f"figures.green_electricity_mwh_per_year must be a number, not {green!r}")
    savings = figures.get("energy_savings")
    if "energy_savings" in figures:
        if not isinstance(savings, dict) or not savings:
            problems.append("figures.energy_savings must map energy carriers to MWh per year")
        else:
            problems += [f"unknown energy carrier '{c}' (known: {', '.join(FACTORS)})"
                         for c in savings if c not in FACTORS]
            problems += [f"energy_savings.{carrier} must be a number"
                         for carrier, mwh in savings.items() if not is_number(mwh)]
    scope = figures.get("scope")
    if "scope" in figures and not (isinstance(scope, list) and scope and set(scope) <= {1, 2, 3}):
        problems.append(f"figures.scope must be a list of 1, 2 and/or 3, not {scope!r}")
    if is_number(figures.get("cost_savings_eur_per_year")) and figures["cost_savings_eur_per_year"] <= 0:
        problems.append("figures.cost_savings_eur_per_year must be positive")
    return problems


def expected_co2e(figures: dict[str, Any]) -> float:
    """t CO2e per year from the energy savings and green electricity, with the corpus factors."""
    from_energy = sum(mwh * FACTORS[carrier] for carrier, mwh in figures["energy_savings"].items())
    green = figures.get("green_electricity_mwh_per_year", 0) or 0
    return from_energy + green * FACTORS["electricity"]


def arithmetic_problems(figures: dict[str, Any]) -> list[str]:
    problems = []
    energy = sum(figures["energy_savings"].values())
    if abs(figures["energy_saved_mwh_per_year"] - energy) > 0.05:
        problems.append(f"energy_saved_mwh_per_year is {figures['energy_saved_mwh_per_year']}, "
                        f"but the energy_savings add up to {energy:.1f}")
    co2e = expected_co2e(figures)
    if abs(figures["co2e_saved_t_per_year"] - co2e) > max(0.15, 0.01 * abs(co2e)):
        problems.append(f"co2e_saved_t_per_year is {figures['co2e_saved_t_per_year']}, "
                        f"but energy savings x emission factors give {co2e:.2f}")
    payback = (figures["investment_eur"] - figures["funding_eur"]) / figures["cost_savings_eur_per_year"]
    if abs(figures["payback_years"] - payback) > 0.1:
        problems.append(f"payback_years is {figures['payback_years']}, but "
                        f"(investment - funding) / cost savings = {payback:.2f}")
    return problems


@pytest.mark.parametrize("path", CASE_STUDIES, ids=case_id)
def test_case_study_figures_add_up(path: Path) -> None:
    figures = load(path)[0].get("figures")
    problems = figures_problems(figures) or arithmetic_problems(figures)
    assert not problems, f"{case_id(path)}: " + "; ".join(problems)


@pytest.mark.parametrize("path", CASE_STUDIES, ids=case_id)
def test_case_study_is_marked_fictional(path: Path) -> None:
    meta, body = load(path)
    problems = []
    if meta.get("fictional") is not True:
        problems.append("front matter needs 'fictional: true'")
    if not str(meta.get("company", "")).endswith(" (fiktiv)"):
        problems.append("company name must end with ' (fiktiv)'")
    mark = FICTIONAL_MARK.get(meta.get("language"), FICTIONAL_MARK["de"])
    if not mark.search(body):
        problems.append("the text needs a visible line saying the example is fictional")
    assert not problems, f"{case_id(path)}: " + "; ".join(problems)


# --------------------------------------------------------------------------------------------------
# Case studies: the text states the same investment and CO2e as the front matter


def grouped(number: int, separator: str) -> str:
    return f"{number:,}".replace(",", separator)


def amount_forms(value: float, language: str) -> list[str]:
    """How a whole euro amount may be written: 85.000 / 85 000 (de) or 85,000 (en)."""
    number = round(value)
    separators = [".", " ", "\u00a0", "\u202f"] if language == "de" else [","]
    forms = [grouped(number, separator) for separator in separators]
    if number < 10000:
        forms.append(str(number))  # four-digit amounts are often written without a separator
    return forms


def decimal_forms(value: float, language: str) -> list[str]:
    """How a one-decimal figure may be written: 19,1 / 1.234,5 (de) or 19.1 / 1,234.5 (en)."""
    whole, tenths = f"{value:.1f}".split(".")
    forms = []
    for whole_form in amount_forms(int(whole), language):
        forms.append(f"{whole_form}{',' if language == 'de' else '.'}{tenths}")
        if tenths == "0":
            forms.append(whole_form)
    return forms


def mentions(text: str, forms: list[str]) -> bool:
    """True if one of the forms stands in the text as a whole number (not inside a longer one)."""
    alternatives = "|".join(re.escape(form) for form in sorted(set(forms), key=len, reverse=True))
    return re.search(rf"(?<![\d.,])(?:{alternatives})(?!\d|[.,]\d)", text) is not None


@pytest.mark.parametrize("path", CASE_STUDIES, ids=case_id)
def test_case_study_text_states_investment_and_co2e(path: Path) -> None:
    meta, body = load(path)
    figures, language = meta.get("figures"), meta.get("language")
    if not isinstance(figures, dict) or language not in LANGUAGES:
        pytest.fail(f"{case_id(path)}: figures or language missing (see the other tests)")
    problems = []
    investment, co2e = figures.get("investment_eur"), figures.get("co2e_saved_t_per_year")
    if is_number(investment) and not mentions(body, forms := amount_forms(investment, language)):
        problems.append(f"the text does not mention the investment as {forms[0]}")
    if is_number(co2e) and not mentions(body, forms := decimal_forms(co2e, language)):
        problems.append(f"the text does not mention the CO2e saving as {forms[0]}")
    assert not problems, f"{case_id(path)}: " + "; ".join(problems)


# --------------------------------------------------------------------------------------------------
# The corpus as a whole


def test_corpus_is_large_and_varied_enough() -> None:
    metas = []
    for path in ALL_FILES:
        try:
            metas.append(load(path)[0])
        except FrontMatterError:
            metas.append({})
    counts = {
        "documents": len(metas),
        "English documents": sum(m.get("language") == "en" for m in metas),
        "case studies": sum(m.get("doc_type") == "case-study" for m in metas),
        "guides": sum(m.get("doc_type") == "guide" for m in metas),
        "PDF sources": len(list(PDF_SOURCES.glob("*.md"))),
    }
    minimums = dict(zip(counts, (MIN_DOCUMENTS, MIN_ENGLISH, MIN_CASE_STUDIES, MIN_GUIDES, MIN_PDF_SOURCES)))
    too_few = [f"{name}: {counts[name]} < {minimum}" for name, minimum in minimums.items()
               if counts[name] < minimum]
    assert not too_few, "corpus too small: " + "; ".join(too_few)


def load_build_pdfs():
    """Import corpus/build_pdfs.py, which is a script and not part of a package."""
    if "build_pdfs" in sys.modules:
        return sys.modules["build_pdfs"]
    spec = importlib.util.spec_from_file_location("build_pdfs", CORPUS / "build_pdfs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_pdfs"] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module


def test_every_pdf_source_has_an_up_to_date_pdf() -> None:
    outdated = load_build_pdfs().find_outdated_pdfs(PDF_SOURCES, DOCUMENTS)
    assert not outdated, ("PDFs missing or older than their sources (run python corpus/build_pdfs.py): "
                          + ", ".join(outdated))
