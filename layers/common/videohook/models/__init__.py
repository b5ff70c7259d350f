"""The domain's types, one module per concept:

- ``lifecycle``: job statuses, the transition table, callback events and their statuses
- ``outcomes``: the closed vocabularies that become metric names and error codes
- ``jobs``: the stored job and what it holds (video, error, delivery attempts)
- ``requests``: what a client may ask for, and how a request body is read
- ``messages``: what travels on the notify queue and the poll workers' queue
- ``records``: how the stored and queued types are read from and written to plain dicts
"""
