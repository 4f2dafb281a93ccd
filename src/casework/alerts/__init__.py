"""Alerts that reach people: email through a transactional outbox, daily digests and private
calendar feeds.

- ``messages``: what each event tells people (``NOTICES``, one function per event type) and the
  words of an email: the provider's name, the deadline, its due date and a link, never personal
  data or safeguarding detail.
- ``outbox``: the ``outbox`` table and ``OutboxRecorder``, the store hook that writes an event's
  messages in the transaction that appends it; queries on deliveries.
- ``mail``: the SMTP channel (``CASEWORK_SMTP_URL``); ``worker``: ``OutboxWorker`` claims due
  messages, sends them, retries with back-off and marks them sent.
- ``digest``: one digest per person per day; ``calendar``: the iCalendar feed.
- ``service``: ``Alerts``, the one object bootstrap builds and ``serve`` starts.
"""
