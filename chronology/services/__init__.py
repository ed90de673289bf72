"""Services: load, call the domain, write, audit, commit. The only place that commits."""


class ServiceError(Exception):
    """A request the service refuses, with a message fit to show the user.

    `field` names the form field at fault, so a view can put the message beside it.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
