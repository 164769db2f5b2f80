"""A test-only app for worker processes: a subscriber that stalls its first call.

Installed by ``tests.events.worker_settings`` in the workers that
``test_worker_kill`` starts and kills; never in the app itself.
"""
