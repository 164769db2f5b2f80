"""A real SMTP server on a local socket (aiosmtpd), and readers for what it got."""

import email
import email.policy
import io
import socket
from dataclasses import dataclass, field

import icalendar
import pytest
import zxingcpp
from aiosmtpd.controller import Controller
from PIL import Image

# This engineer's share of the machine's ports (the test SMTP servers live here).
PORTS = range(18400, 18500)


def free_port() -> int:
    """A port of PORTS nothing listens on right now."""
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18400-18499")


@dataclass
class Mailbox:
    """The SMTP server's behaviour and what it received.

    ``fail_next`` answers the next that many messages with a temporary error (451),
    ``refuse`` answers RCPT for those addresses with a permanent one (550).
    """

    received: list = field(default_factory=list)
    fail_next: int = 0
    refused_attempts: int = 0
    refuse: set = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.fail_next:
            self.fail_next -= 1
            self.refused_attempts += 1
            return "451 4.3.0 Mail server busy, try again later"
        self.received.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list:
        return [
            email.message_from_bytes(
                envelope.original_content, policy=email.policy.default
            )
            for envelope in self.received
        ]


def use_smtp(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "Tickets <tickets@cinema.example>"


@pytest.fixture
def smtp_server(settings):
    """A started SMTP server on 127.0.0.1 that the project sends to."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    use_smtp(settings, controller.port)
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_down(settings):
    """Settings pointing at a port where nothing listens (connection refused)."""
    port = free_port()
    use_smtp(settings, port)
    return port


def decode_qr_png(png: bytes) -> list[str]:
    image = Image.open(io.BytesIO(png)).convert("L")
    found = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormat.QRCode, try_invert=False
    )
    return [barcode.text for barcode in found]


def inline_images(message) -> dict[str, bytes]:
    """Content-ID (without brackets) -> bytes of every image part."""
    return {
        part["Content-ID"].strip("<>"): part.get_content()
        for part in message.walk()
        if part.get_content_maintype() == "image"
    }


def calendar_of(message) -> icalendar.Calendar:
    (ics,) = [
        part
        for part in message.iter_attachments()
        if part.get_content_type() == "text/calendar"
    ]
    assert ics.get_filename() == "showtime.ics"
    content = ics.get_content()
    return icalendar.Calendar.from_ical(
        content if isinstance(content, bytes) else content.encode()
    )
