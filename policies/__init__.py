"""The access catalog and its rules: what can be requested, by whom, for how long, approved by whom.

Load once at start (``load_catalog``), then ask the Catalog and its Entitlements. Conditions are
CEL, compiled at load; a catalog with any problem does not load (``PolicyLoadError`` lists them all).
"""

from policies.catalog import BirthrightGrant, BirthrightRule, Bundle, Catalog, SodConflict, SodRule
from policies.context import PersonFacts, RequestFacts
from policies.durations import DurationError, humanize, parse_duration
from policies.errors import PolicyIssue, PolicyLoadError
from policies.loader import load_catalog
from policies.model import ApprovalStepSpec, Durations, Eligibility, Entitlement, Resource, SourceRef
from policies.settings import BusinessHours, Settings

__all__ = [
    "ApprovalStepSpec", "BirthrightGrant", "BirthrightRule", "Bundle", "BusinessHours", "Catalog",
    "DurationError", "Durations", "Eligibility", "Entitlement", "PersonFacts", "PolicyIssue",
    "PolicyLoadError", "RequestFacts", "Resource", "Settings", "SodConflict", "SodRule", "SourceRef",
    "humanize", "load_catalog", "parse_duration",
]
