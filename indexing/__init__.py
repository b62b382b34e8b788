"""Turning files into searchable chunks: read, split, embed, store, and keep a registry of documents."""
