"""On-call facts for auto-approval: who is on call now, from PagerDuty, Opsgenie or a static rotation."""
