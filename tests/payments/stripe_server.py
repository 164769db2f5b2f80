"""A local server for the part of Stripe's API this project uses, for the tests.

The real ``stripe`` SDK talks to it (``STRIPE_API_BASE``), so requests, responses
and errors take Stripe's documented shapes: form-encoded bodies, ``Bearer`` keys,
``Idempotency-Key`` (a repeat with the same parameters replays the first answer
with ``Idempotent-Replayed: true``; other parameters are a 400
``idempotency_error``), card errors as 402 with the PaymentIntent. Endpoints:
``POST /v1/payment_intents``, ``GET /v1/payment_intents/{id}``,
``POST /v1/refunds``, ``GET /v1/refunds?payment_intent=``. Test card
PaymentMethods follow Stripe's test ids: ``pm_card_visa`` succeeds,
``pm_card_chargeDeclined`` is declined, ``pm_card_authenticationRequired`` needs
3-D Secure (``requires_action``); any other id is 400 ``resource_missing``, and an
``Idempotency-Key`` longer than 255 characters is refused, as at Stripe.

``sign`` signs a webhook body with Stripe's scheme (``t=...,v1=`` HMAC-SHA256 of
``"{t}.{body}"``), so ``stripe.Webhook.construct_event`` verifies it on our side.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

API_KEY = "sk_test_local"
WEBHOOK_SECRET = "whsec_local"
PORTS = range(18100, 18200)  # this engineer's port range on the shared machine


def _nest(pairs: list[tuple[str, str]]) -> dict:
    """``metadata[reservation]=X`` -> {"metadata": {"reservation": "X"}}."""
    out: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


class FakeStripe:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.idempotency: dict[str, tuple[str, int, dict]] = {}
        self.requests: list[tuple[str, str]] = []
        self.delay_next_post = 0.0  # sleep after doing the work (a timeout)
        self.on_create = None  # called with the intent after it was created
        self.refund_status = "succeeded"  # "pending": as bank debits are refunded
        self.server = None
        for port in PORTS:
            try:
                self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
                break
            except OSError:
                continue
        assert self.server is not None, "no free port in 18100-18199"
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.intents.clear()
            self.refunds.clear()
            self.idempotency.clear()
            self.requests.clear()
            self.delay_next_post = 0.0
            self.on_create = None
            self.refund_status = "succeeded"

    # --- what a customer or the dashboard does at Stripe ---------------------------

    def succeed(self, intent_id: str) -> dict:
        with self.lock:
            intent = self.intents[intent_id]
            intent.update(
                status="succeeded",
                latest_charge=f"ch_{secrets.token_hex(8)}",
                last_payment_error=None,
            )
            return dict(intent)

    def fail(self, intent_id: str) -> dict:
        with self.lock:
            intent = self.intents[intent_id]
            intent.update(status="requires_payment_method", last_payment_error=_DECLINE)
            return dict(intent)

    def refund_in_dashboard(self, intent_id: str, amount: int) -> dict:
        with self.lock:
            return self._refund({"payment_intent": intent_id, "amount": str(amount)})[1]

    def forget_idempotency_keys(self) -> None:
        """What 24 hours do at Stripe: keys expire, a repeat is a new request."""
        with self.lock:
            self.idempotency.clear()

    def charge_of(self, intent_id: str) -> dict:
        intent = self.intents[intent_id]
        refunded = sum(
            r["amount"]
            for r in self.refunds.values()
            if r["payment_intent"] == intent_id
        )
        return {
            "id": intent["latest_charge"],
            "object": "charge",
            "amount": intent["amount"],
            "amount_refunded": refunded,
            "currency": intent["currency"],
            "payment_intent": intent_id,
            "refunded": refunded == intent["amount"],
            "metadata": intent["metadata"],
        }

    def event(self, type_: str, obj: dict) -> bytes:
        return json.dumps(
            {
                "id": f"evt_{secrets.token_hex(12)}",
                "object": "event",
                "api_version": "2025-01-27.acacia",
                "created": int(time.time()),
                "livemode": False,
                "type": type_,
                "data": {"object": obj},
            }
        ).encode()

    def refunds_of(self, intent_id: str) -> list[dict]:
        return [r for r in self.refunds.values() if r["payment_intent"] == intent_id]

    # --- the API -------------------------------------------------------------------

    def _create_intent(self, params: dict) -> tuple[int, dict]:
        method = params.get("payment_method")
        if method and not method.startswith("pm_card_"):  # only test cards exist here
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "code": "resource_missing",
                    "param": "payment_method",
                    "message": f"No such PaymentMethod: '{method}'",
                }
            }
        intent = {
            "id": f"pi_{secrets.token_hex(12)}",
            "object": "payment_intent",
            "amount": int(params["amount"]),
            "amount_received": 0,
            "currency": params["currency"],
            "description": params.get("description"),
            "metadata": params.get("metadata", {}),
            "status": "requires_payment_method",
            "client_secret": None,
            "last_payment_error": None,
            "latest_charge": None,
            "payment_method": params.get("payment_method"),
            "livemode": False,
        }
        intent["client_secret"] = f"{intent['id']}_secret_{secrets.token_hex(8)}"
        self.intents[intent["id"]] = intent
        method = params.get("payment_method")
        if method and params.get("confirm") == "true":
            if method == "pm_card_chargeDeclined":
                intent["last_payment_error"] = _DECLINE
                return 402, {
                    "error": {**_DECLINE, "payment_intent": dict(intent)},
                }
            if method == "pm_card_authenticationRequired":
                intent["status"] = "requires_action"
            else:
                intent["status"] = "succeeded"
                intent["amount_received"] = intent["amount"]
                intent["latest_charge"] = f"ch_{secrets.token_hex(8)}"
        return 200, dict(intent)

    def _refund(self, params: dict) -> tuple[int, dict]:
        intent = self.intents.get(params.get("payment_intent", ""))
        if intent is None:
            return 404, _invalid("No such payment_intent", "resource_missing")
        if intent["status"] != "succeeded":
            return 400, _invalid("This PaymentIntent has no charge to refund.")
        already = sum(r["amount"] for r in self.refunds_of(intent["id"]))
        amount = int(params.get("amount") or intent["amount"] - already)
        if amount + already > intent["amount"]:
            return 400, _invalid(
                "Refund amount is greater than unrefunded amount", "amount_too_large"
            )
        refund = {
            "id": f"re_{secrets.token_hex(12)}",
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "charge": intent["latest_charge"],
            "status": self.refund_status,
            "created": int(time.time()),
        }
        self.refunds[refund["id"]] = refund
        return 200, refund

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _send(self, code: int, body: dict, replayed: bool = False) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_{secrets.token_hex(7)}")
                if replayed:
                    self.send_header("Idempotent-Replayed", "true")
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {API_KEY}":
                    return True
                self._send(401, _invalid("Invalid API Key provided: ****"))
                return False

            def do_GET(self):
                if not self._authorised():
                    return
                url = urlsplit(self.path)
                fake.requests.append(("GET", url.path))
                with fake.lock:
                    if url.path.startswith("/v1/payment_intents/"):
                        intent = fake.intents.get(url.path.rsplit("/", 1)[1])
                        if intent is None:
                            return self._send(
                                404,
                                _invalid("No such payment_intent", "resource_missing"),
                            )
                        return self._send(200, dict(intent))
                    if url.path == "/v1/refunds":
                        query = dict(parse_qsl(url.query))
                        data = fake.refunds_of(query.get("payment_intent", ""))
                        return self._send(
                            200,
                            {
                                "object": "list",
                                "url": "/v1/refunds",
                                "has_more": False,
                                "data": data,
                            },
                        )
                self._send(
                    404, _invalid("Unrecognized request URL", "resource_missing")
                )

            def do_POST(self):
                if not self._authorised():
                    return
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                params = _nest(parse_qsl(raw, keep_blank_values=True))
                key = self.headers.get("Idempotency-Key")
                path = urlsplit(self.path).path
                fake.requests.append(("POST", path))
                fingerprint = f"{path}?{raw}"
                with fake.lock:
                    if key and len(key) > 255:
                        return self._send(
                            400,
                            {
                                "error": {
                                    "type": "idempotency_error",
                                    "message": "Keys for idempotent requests can only "
                                    "be up to 255 characters long.",
                                }
                            },
                        )
                    if key and key in fake.idempotency:
                        seen, code, body = fake.idempotency[key]
                        if seen != fingerprint:
                            return self._send(
                                400,
                                {
                                    "error": {
                                        "type": "idempotency_error",
                                        "message": "Keys for idempotent requests can only be "
                                        "used with the same parameters they were first used "
                                        "with.",
                                    }
                                },
                            )
                        return self._send(code, body, replayed=True)
                    if path == "/v1/payment_intents":
                        code, body = fake._create_intent(params)
                    elif path == "/v1/refunds":
                        code, body = fake._refund(params)
                    else:
                        code, body = (
                            404,
                            _invalid("Unrecognized request URL", "resource_missing"),
                        )
                    if key:
                        fake.idempotency[key] = (fingerprint, code, body)
                    delay, fake.delay_next_post = fake.delay_next_post, 0.0
                hook = fake.on_create
                if hook is not None and path == "/v1/payment_intents" and code == 200:
                    hook(body)
                if delay:
                    time.sleep(delay)  # the work is done; the answer comes too late
                with contextlib.suppress(OSError):  # the client gave up waiting
                    self._send(code, body)

        return Handler


_DECLINE = {
    "type": "card_error",
    "code": "card_declined",
    "decline_code": "generic_decline",
    "message": "Your card was declined.",
}


def _invalid(message: str, code: str | None = None) -> dict:
    return {
        "error": {"type": "invalid_request_error", "message": message, "code": code}
    }


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, t: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``payload`` (Stripe's v1 scheme)."""
    t = int(time.time()) if t is None else t
    mac = hmac.new(
        secret.encode(), f"{t}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return f"t={t},v1={mac}"
