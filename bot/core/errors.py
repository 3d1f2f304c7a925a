"""The error tree of brandbot: every exception class we raise on purpose is one of these.

    BotError
    ├── ConfigError            config.toml or its environment is wrong (every problem listed)
    ├── DataError              a file or record given to us is malformed (every problem listed)
    │   ├── KnowledgeBaseError   a knowledge-base file or FAQ
    │   ├── OrderError           one order record
    │   ├── OrderFileError       an order import file as a whole
    │   └── ReviewError          a review-queue step that cannot be done
    ├── InboundError           a request from a platform could not be accepted
    │   ├── SignatureError       not from the platform: 401/403, nothing stored
    │   ├── PayloadError         authentic but unparseable: 400, raw body kept as a dead letter
    │   │   └── CryptoError        a WeChat ciphertext that does not decrypt to our AppID
    │   └── BodyTooLarge         over the configured size: 413, nothing read further
    ├── StoreFileError         a store or backup file cannot be used as asked (missing, damaged)
    │   └── StoreInUse           a running server holds the store (restore refused)
    ├── OutboundError          a platform or shop API refused or timed out (callers retry)
    │   ├── TelegramApiError     the Bot API answered ok: false
    │   ├── TokenError           no WeChat access token could be fetched
    │   ├── QrError              WeChat did not create an invite QR code
    │   ├── MediaError           an image in a reply could not be fetched or made WeChat media
    │   └── SourceUnavailable    the shop's order API did not answer (or its breaker is open)
    ├── StoreBusy              another writer holds the store's lock past the busy limit: 503
    ├── StoreUnavailable       the PostgreSQL server cannot be reached or refuses us
    ├── UsageError             a staff command's arguments do not fit: answer with its usage
    └── CommandError           a `brandbot` command cannot do what was asked (one line says why)
"""

from __future__ import annotations


class BotError(Exception):
    """Base of every error brandbot raises on purpose."""


class ConfigError(BotError):
    """The configuration has one or more problems; all of them are listed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class DataError(BotError):
    """Data given to us (a file, a record) is malformed; `problems` lists what is wrong."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class KnowledgeBaseError(DataError):
    """A knowledge-base file is malformed; every problem is listed."""


class OrderError(DataError):
    """An order record is incomplete or malformed; the message says what is wrong."""


class OrderFileError(DataError):
    """An order file as a whole cannot be imported (unreadable, wrong type, unknown columns)."""


class ReviewError(DataError):
    """A review-queue item cannot be attached, created or dismissed as asked."""


class InboundError(BotError):
    """A request from a platform could not be accepted."""

    status = 400


class SignatureError(InboundError):
    """The request failed verification (signature, token or secret)."""

    status = 403

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.status = status


class PayloadError(InboundError):
    """The request is authentic but its body cannot be parsed."""

    status = 400


class CryptoError(PayloadError):
    """A WeChat ciphertext is malformed or was not made for our AppID."""


class BodyTooLarge(InboundError):
    """The request body is over the configured limit."""

    status = 413


class StoreFileError(BotError):
    """A store or backup file is missing, damaged or not a brandbot store; says which."""


class StoreInUse(StoreFileError):
    """Another process (a running `brandbot serve`, or a restore) holds the store."""


class OutboundError(BotError):
    """A platform or shop API call failed."""


class TelegramApiError(OutboundError):
    """The Bot API answered `ok: false` (or not JSON); `retry_after` is set for 429."""

    def __init__(self, status: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status}: {description}")
        self.status = status
        self.description = description
        self.retry_after = retry_after


class TokenError(OutboundError):
    """The WeChat access token could not be fetched; the send is retried later."""


class QrError(OutboundError):
    """WeChat did not create the QR code; tried again on the next round."""


class MediaError(OutboundError):
    """An image in a reply could not be fetched, read, or uploaded as WeChat media;
    `permanent` when trying again cannot help (not an image, gone)."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class SourceUnavailable(OutboundError):
    """The order system did not answer in time (or its breaker is open); try again later."""


class StoreUnavailable(BotError):
    """The PostgreSQL server named in `[store] url` cannot be reached, or refused us."""


class StoreBusy(BotError):
    """The store is locked by another writer longer than we wait: answer 503 and try later."""


class UsageError(BotError):
    """The arguments do not fit the command: answer with its usage line."""


class CommandError(BotError):
    """A `brandbot` command cannot do what was asked (a port in use, no such customer)."""
