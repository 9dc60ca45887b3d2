"""FinTrack's domain core: money, errors, versioning, locking and the outbox.

Nothing here imports Django REST framework or any app above it; every app builds on it.
"""
