"""All tables. Import from here so Alembic and the app see one metadata."""

from bot.store.models.audit import AuditEvent
from bot.store.models.break_glass import BreakGlassUse
from bot.store.models.connectors import ConnectorFact
from bot.store.models.due import DueAction
from bot.store.models.grants import Grant
from bot.store.models.lifecycle import LifecycleEvent, ScimUser
from bot.store.models.messages import DeliveryKey, MessageRef, OutboxEvent
from bot.store.models.offboarding import Offboarding
from bot.store.models.people import Person, PersonChange
from bot.store.models.provisioning import ManualTask, ProvisioningAction
from bot.store.models.reconcile import OrphanFinding, ReconcileRun
from bot.store.models.reviews import ReviewCampaignRun, ReviewItem
from bot.store.models.usage import UsageActivity, UsageAsk, UsageCollection
from bot.store.models.requests import AccessRequest, ApprovalStep, ApprovalStepApprover, Decision

__all__ = [
    "AccessRequest", "ApprovalStep", "ApprovalStepApprover", "AuditEvent", "BreakGlassUse", "ConnectorFact", "Decision", "DeliveryKey",
    "DueAction", "Grant", "LifecycleEvent", "ManualTask", "MessageRef", "Offboarding", "OutboxEvent", "Person", "PersonChange",
    "OrphanFinding", "ProvisioningAction", "ReconcileRun", "ReviewCampaignRun", "ReviewItem", "ScimUser",
    "UsageActivity", "UsageAsk", "UsageCollection",
]
