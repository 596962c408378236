"""Reaching people who are away (SPEC v2 "Notifications for people who are away"): Web Push to their browsers and
an email digest of unread messages, with their settings (`/me/settings`).

endpoints.py  the SSRF rules for push endpoints, and the one POST the server makes to them
webpush.py    the VAPID key, RFC 8291 payload encryption, RFC 8292 signatures
repository.py the collections: `push_subscriptions`, `notify_state`, `push_claims`, `server_keys`
service.py    settings, subscriptions and who a message reaches while they are away
digest.py     the email digest: due users, an exactly-once claim per window, the mail, the unsubscribe token
worker.py     the per-process background work: pushes off the request path, the digest loop
routes.py     `/push/public-key`, `/me/push-subscriptions`, `/me/settings`, `/unsubscribe`, `/sw.js`
"""
