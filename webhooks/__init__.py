"""Outbound webhooks: signed POSTs of outbox events to endpoints staff register."""
