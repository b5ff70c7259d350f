"""videohook: a webhook service over poll-only AI video generation APIs.

The package is split by role: ``models`` (what a job is and how it may change),
``logic`` (what the three functions do), ``adapters`` (one per external system) and
``settings``/``observability``/``wiring`` (how the pieces are configured and built).
"""
