"""Signatures follow Standard Webhooks: the spec's vector, and its reference library."""

import base64
import hashlib
import hmac

from standardwebhooks.webhooks import Webhook

from webhooks import signing


def test_the_specs_example_signature():
    """The example in the Standard Webhooks spec (and its libraries' tests)."""
    assert (
        signing.sign(
            secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
            timestamp=1614265330,
            body=b'{"test": 2432232314}',
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_a_new_secret_is_random_whsec_base64_of_24_bytes():
    first, second = signing.new_secret(), signing.new_secret()
    assert first != second
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 24


def test_the_reference_library_verifies_our_headers():
    secret = signing.new_secret()
    body = b'{"id":"e1","type":"reservation.held","created":"x","data":{}}'
    import time

    headers = signing.headers(
        secret=secret, msg_id="e1", timestamp=int(time.time()), body=body
    )

    assert Webhook(secret).verify(body, headers)["type"] == "reservation.held"


def test_an_independent_hmac_agrees():
    secret = signing.new_secret()
    body = b"{}"
    expected = base64.b64encode(
        hmac.new(
            base64.b64decode(secret[len("whsec_") :]),
            b"id-1.1700000000.{}",
            hashlib.sha256,
        ).digest()
    ).decode()

    assert signing.sign(
        secret=secret, msg_id="id-1", timestamp=1700000000, body=body
    ) == ("v1," + expected)
