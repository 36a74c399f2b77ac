"""Break-glass: access at once without approval in an emergency, within the same limits as any request
(eligibility, separation of duties), counted against a budget, told to everyone who should know, and
reviewed afterwards. See docs/break-glass.md."""
