"""Errors raised for bad input: their message is shown to staff as it is, so it must make sense to them."""


class IngestError(Exception):
    """A file could not be ingested; the index is left as it was."""


class UnsupportedFileError(IngestError):
    pass


class UnreadableFileError(IngestError):
    pass


class LimitExceededError(IngestError):
    """A file is over a configured limit (size, pages, reading time or memory): a higher limit may let it in."""


class EmbedderMismatchError(RuntimeError):
    """The index was built with another embedder than the one configured."""

    def __init__(self, stored: str, configured: str):
        super().__init__(
            f"Der Index wurde mit dem Embedder '{stored}' erstellt, konfiguriert ist '{configured}'. Bitte neu "
            "indexieren: klimawissen reindex PFAD (oder den früheren Embedder konfigurieren).")
        self.stored, self.configured = stored, configured
