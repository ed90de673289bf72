"""Email alerts. They carry a link only: never a child's name or what was written."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app


class AlertNotSent(Exception):
    """The mail server could not be reached or refused the message."""


def send_urgent_alert(recipients: list[str], school_name: str, link: str) -> None:
    message = EmailMessage()
    message["Subject"] = "Urgent safeguarding concern logged - please check Chronology now"
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = ", ".join(recipients)
    message.set_content(
        "An urgent concern about a child has just been logged at "
        f"{school_name}.\n\n"
        "Please sign in and read it now:\n"
        f"{link}\n\n"
        "The member of staff has been told to find you in person. "
        "This email holds no details on purpose.\n"
    )
    try:
        with smtplib.SMTP(
            current_app.config["MAIL_SERVER"],
            current_app.config["MAIL_PORT"],
            timeout=current_app.config["MAIL_TIMEOUT"],
        ) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise AlertNotSent(str(error)) from error
