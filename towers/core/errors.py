"""Domain errors that every edge (UI, API, CLI) turns into its own kind of answer."""

from django.core.exceptions import PermissionDenied
from django.http import Http404


class NotFound(Http404):
    """The object does not exist or is not visible to the actor: the two are indistinguishable on purpose."""


class Forbidden(PermissionDenied):
    """The actor can see the object but may not do this to it."""


class ValidationFailed(Exception):
    """Input broke a rule; `fields` names each field and what is wrong with it."""

    def __init__(self, fields: dict[str, list[str]], message: str = "The input is not valid.") -> None:
        super().__init__(message)
        self.fields = fields
        self.message = message

    @classmethod
    def one(cls, field: str, problem: str) -> "ValidationFailed":
        return cls({field: [problem]}, f"{field}: {problem}")


class StaleVersion(Exception):
    """The caller changed an object from an out-of-date copy (If-Match did not match)."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"The object has changed since it was read (now version {current_version}).")
        self.current_version = current_version
