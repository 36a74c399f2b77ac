"""Usage-aware access: when each account was last used, "use it or lose it", license reclamation.

``collect`` reads each target's last activity (connectors' ``last_activity``) into the ledger, page by
page, resuming at the saved cursor after a throttle; ``evaluate`` asks the holder (or an owner) about
grants unused for longer than the catalog's ``inactivity:`` policy; ``answer`` records Keep / Release
and what happens at the deadline; ``report`` counts seats, savings and what was reclaimed.
Stale or unknown usage never releases anything.
"""
