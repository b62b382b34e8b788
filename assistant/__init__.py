"""Klimawissen: answers partners' CO2-reduction questions from the pact's documents, with citations."""
