"""Text messages: the interface a gateway's sender implements, and the one sender shipped, which
only writes the message to the log. `settings.SMS_SENDER` names the class in use."""

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("coopfund.sms")


class SmsError(Exception):
    """The message was not delivered; the text says why (it is recorded with the notice)."""


class SmsSender(Protocol):
    def send(self, *, to: str, text: str) -> None:
        """Deliver `text` to the phone number `to`, or raise `SmsError`."""


class LogSender:
    """Writes each message to the log instead of sending it: no gateway is configured."""

    def send(self, *, to: str, text: str) -> None:
        logger.info("SMS to %s: %s", to, text)


def sms_sender() -> SmsSender:
    return import_string(settings.SMS_SENDER)()
