"""Errors raised by the recognition core. Each carries a stable `type` and a sentence
that tells the person what to do; the edge maps the type to a status (app/http/problems.py)."""


class RecognitionError(Exception):
    """Base class: `type` is a stable machine-readable slug, the message is for people."""

    type = "recognition-error"

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class BadImageError(RecognitionError):
    """The bytes are empty, not an image, or truncated."""

    type = "bad-image"


class ImageTooLargeError(RecognitionError):
    """The file or its pixel count is over the configured limit."""

    type = "too-large"


class WeightsError(RecognitionError):
    """The model weights could not be fetched, verified or converted."""

    type = "weights-error"


class BusyError(RecognitionError):
    """This process is already analysing as many images as it may at once (a memory bound),
    and none finished within the wait. `retry_after` is whole seconds, for a Retry-After
    header."""

    type = "busy"

    def __init__(self, detail: str, retry_after: int = 2):
        super().__init__(detail)
        self.retry_after = retry_after
