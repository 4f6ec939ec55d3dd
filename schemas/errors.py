"""One error hierarchy for the whole project.

Every error the project raises on purpose derives from :class:`SomearkivError`. Messages are written for the
person at the terminal or in the web app, in Norwegian bokmål, and name the thread, file or field involved.
The CLI's single error boundary turns any ``SomearkivError`` into one line on stderr and exit status 2
(an operational error); exit status 1 is reserved for "the check ran and found problems", which is a report
with error findings (:mod:`schemas.findings`), never an exception.

Layers below the CLI raise the most specific subclass; they never print and never call ``sys.exit``.
"""

from __future__ import annotations


class SomearkivError(Exception):
    """Base of every error somearkiv raises on purpose; ``str(err)`` is the user-facing message."""


class ConfigError(SomearkivError):
    """The configuration is missing or invalid (a setting, a URL, a file the settings point at)."""


class InputError(SomearkivError):
    """Input from outside (a capture, a flags file, an export, a URL, an XML file) is malformed or hostile."""


class CaptureError(InputError):
    """A capture that can't be read into the thread model; the message names the file, thread and field."""


class StorageError(SomearkivError):
    """The archive bucket refused, failed or is unreachable (local folder or S3)."""


class IntegrityError(StorageError):
    """Stored bytes do not match what was written or recorded (checksum, version, audit chain)."""


class RenderError(SomearkivError):
    """The thread document could not be rendered; the message names the thread and the item."""


class NoarkError(SomearkivError):
    """Noark 5 metadata or an uttrekk could not be built."""


class SourceError(SomearkivError):
    """A platform connector failed: the message names the account, the thread and what to do."""


class CredentialsError(SourceError):
    """A token or key is missing, expired or lacks a scope; the message names the account and what to renew."""


class WorkflowError(SomearkivError):
    """A workflow operation (flag, moderation, review) was refused; nothing was changed."""


class DeliveryError(SomearkivError):
    """Delivering a package to the municipality's archive system (KS Fiks Arkiv) failed."""
