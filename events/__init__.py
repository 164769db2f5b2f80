"""The outbox: booking events written with their change, delivered after commit.

``events.services.publish(type, data)`` saves an ``Event`` in the caller's
transaction and enqueues its dispatch once that commits; ``subscribe(type, handler)``
registers what runs for it. See the README's "Events and background work" section.
"""
