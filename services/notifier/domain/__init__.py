"""The notifier's decisions without I/O: who hears, on which channel, when, and how retries go.

Modules are named by idea: ``change`` (one shape for every event kind), ``event_changes``
(each contract as a change), ``routing`` and ``directory_index``, ``people``, ``digest``,
``throttle``, ``quiet_hours``, ``send_window``, ``pacing``, ``retry``, the renderers
(``message_content``, ``slack_blocks``, ``email_message``) and ``webhook_message`` (the signed
body of the configured webhook's one message per risk change).
"""
