"""Access reviews (recertification campaigns): catalog ``reviews:`` campaigns started by IT or on their
recurrence, one item per grant in scope, decided by reviewers in Slack (or by the deadline's default).

One module per use case: ``start`` (snapshot and assignment), ``decide`` (keep / revoke / keep all /
reassign), ``deadline`` (reminders, default action, close), ``queries`` (progress, a reviewer's page,
the evidence report), ``timers`` (the due-action kinds and their handlers).
"""
