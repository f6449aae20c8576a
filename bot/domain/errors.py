"""Errors a user can act on. Anything else is a bug and is logged with a reference id."""


class UserFacingError(Exception):
    """An error whose message is safe and useful to show to the user as is."""


class BadInputError(UserFacingError):
    """The input cannot be read as an article (empty, binary, too large, not UTF-8)."""


class NotAnArticleError(UserFacingError):
    """The page or file holds no article text."""


class NotEnglishError(UserFacingError):
    """The article is not in English, which is the only language analysed."""


class FetchError(UserFacingError):
    """A URL could not be fetched, or was refused for safety."""


class NotFoundError(UserFacingError):
    """The thing asked for does not exist in this server."""


class PermissionDeniedError(UserFacingError):
    """The member lacks the Discord permission a command needs."""


class UnknownCountryError(UserFacingError):
    """The user named a country we cannot resolve to an ISO code."""


class InvalidScheduleError(UserFacingError):
    """A time or timezone the user typed cannot be read."""


class NotAFeedError(UserFacingError):
    """A document could not be read as an RSS, Atom or JSON feed (or an OPML list)."""


class ConfigError(Exception):
    """A setting is missing or invalid; start-up stops with this one line."""


class AnalysisFailedError(UserFacingError):
    """The analysis of one request was stopped: it ran out of time, or its worker died."""


class StorageError(UserFacingError):
    """The database could not save or be opened: a full or failing disk, a damaged or foreign
    file. Nothing half-written is left behind."""
