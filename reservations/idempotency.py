"""Idempotency-Key handling for unsafe booking endpoints (Stripe's semantics).

The first request with a key runs and its answer is stored; a repeat with the same
key and the same request replays that answer (``Idempotent-Replayed: true``); the
same key with another request is 422; a repeat while the first still runs is 409
with ``Retry-After``. 5xx, 409 and 429 answers are not stored, so they may be
retried. Keys live in the database: shared by every worker, kept across restarts.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from .exceptions import IdempotencyKeyInProgress, IdempotencyKeyMismatch
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
# A first attempt still "running" after this long died with its worker: let a retry in.
STALE_IN_PROGRESS = timedelta(seconds=60)
NOT_STORED = {409, 429}


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(
        f"{request.method} {request.path}\n{body}".encode()
    ).hexdigest()


def _claim(*, user, key: str, fingerprint: str) -> tuple[IdempotencyKey, bool]:
    """Return (record, is_replay). Raises 422/409 for a mismatched or running key."""
    for _ in range(4):
        now = timezone.now()
        # Look before inserting: on SQLite an INSERT waits for the database write
        # lock, which a running first attempt holds while it books, so the repeat
        # would queue behind it instead of answering 409 at once. A read does not.
        record = IdempotencyKey.objects.filter(user=user, key=key).first()
        if record is None:
            try:
                with transaction.atomic():
                    record = IdempotencyKey.objects.create(
                        user=user, key=key, request_hash=fingerprint, created_at=now
                    )
                return record, False
            except IntegrityError:
                continue  # claimed by a twin meanwhile: look at its record
        ttl = timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
        if record.created_at <= now - ttl:
            IdempotencyKey.objects.filter(
                pk=record.pk, created_at=record.created_at
            ).delete()
            continue
        if record.request_hash != fingerprint:
            raise IdempotencyKeyMismatch()
        if record.is_complete:
            return record, True
        if record.created_at <= now - STALE_IN_PROGRESS:
            taken_over = IdempotencyKey.objects.filter(
                pk=record.pk, created_at=record.created_at, is_complete=False
            ).update(created_at=now)
            if taken_over:
                return record, False
        raise IdempotencyKeyInProgress()
    raise IdempotencyKeyInProgress()


def _release(record: IdempotencyKey) -> None:
    IdempotencyKey.objects.filter(pk=record.pk).delete()


def idempotent(view_method):
    """Decorate a viewset action so an ``Idempotency-Key`` header makes it replay-safe."""

    @wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if not key or not request.user.is_authenticated:
            return view_method(self, request, *args, **kwargs)
        if len(key) > 255:
            raise ValidationError({HEADER: ["At most 255 characters."]})
        record, is_replay = _claim(
            user=request.user, key=key, fingerprint=_fingerprint(request)
        )
        if is_replay:
            return Response(
                record.response_body,
                status=record.response_status,
                headers={"Idempotent-Replayed": "true"},
            )
        try:
            try:
                response = view_method(self, request, *args, **kwargs)
            except Exception as exc:
                response = self.handle_exception(exc)  # re-raises what it cannot answer
        except BaseException:
            _release(record)
            raise
        if response.status_code >= 500 or response.status_code in NOT_STORED:
            _release(record)
        else:
            IdempotencyKey.objects.filter(pk=record.pk).update(
                is_complete=True,
                response_status=response.status_code,
                response_body=response.data,
            )
        return response

    return wrapper
