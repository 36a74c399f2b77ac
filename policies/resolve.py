"""Collected pieces -> Catalog: apply inheritance, check every reference, compile every condition."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from policies.break_glass import BreakGlassPolicy
from policies.catalog import Catalog
from policies.cel import LIST, CelCompileError, Condition, compile_condition
from policies.context import ENTITLEMENT_FIELDS, OWNER_DEPARTMENTS, PERSON_FIELDS, REQUEST_FIELDS
from policies.errors import PolicyIssue, did_you_mean
from policies.layers import CATALOG, ENTITLEMENT, RESOURCE, Layer, Layers, Picked
from policies.on_call import FUNCTIONS as ON_CALL_FUNCTIONS
from policies.model import ApprovalStepSpec, Entitlement, Resource, Rule, SourceRef
from policies.pieces import Collected, Known, Piece
from policies.resolve_durations import resolve_durations
from policies.resolve_rules import RuleResolver
from policies.schema import ApprovalStepSpecIn, ResourceSpec
from policies.settings import BusinessHours, OffboardingSettings, Settings, parse_clock, parse_days
from policies.usage import ASK_OWNER, InactivityPolicy, LicenseCost
from policies.yaml_source import PathKey, YamlDocument

ELIGIBILITY_VARIABLES = {"person": PERSON_FIELDS, "entitlement": ENTITLEMENT_FIELDS, OWNER_DEPARTMENTS: LIST}
AUTO_APPROVE_VARIABLES = {"person": PERSON_FIELDS, "request": REQUEST_FIELDS, "entitlement": ENTITLEMENT_FIELDS,
                          OWNER_DEPARTMENTS: LIST}

DEFAULT_EXPIRY_WARNINGS = [timedelta(days=1), timedelta(hours=1)]
BUILT_IN: dict[str, Any] = {
    "risk": "medium",
    "requestable": True,
    "target_options": {},
    "require_justification": True,
    "require_ticket": False,
    "approval": [ApprovalStepSpecIn(kind="manager")],
    "auto_approve": [],
    "reminder_after": timedelta(hours=4),
    "escalate_after_reminders": 2,
    "request_timeout": timedelta(days=3),
}
_INHERITED = ("risk", "requestable", "connector", "target_options", "require_justification", "require_ticket",
              "ticket_pattern", "eligibility", "approval", "auto_approve", "expiry_warnings",
              "extend_auto_approve_limit", "reminder_after", "escalate_after_reminders", "request_timeout",
              "approvals_channel")


def resolve(collected: Collected, known: Known) -> Catalog | None:
    return _Resolver(collected, known).build()


class _Resolver:
    def __init__(self, collected: Collected, known: Known):
        self.collected = collected
        self.known = known
        self.issues = collected.issues
        self._conditions: dict[tuple[str, PathKey], Condition | None] = {}
        defaults = collected.defaults
        self.catalog_layer = (Layer(CATALOG, "catalog defaults", defaults.spec, defaults.doc, defaults.path)
                              if defaults else None)

    def build(self) -> Catalog | None:
        settings = self._settings()
        if self.catalog_layer:
            self._check_layer(self.catalog_layer)
        resources = {rid: self._resource(rid, piece) for rid, piece in self.collected.resources.items()}
        rules = RuleResolver(self.collected, resources, self.compile)
        bundles, sod, birthright = rules.bundles(), rules.sod_rules(), rules.birthright_rules()
        if self.issues:
            return None
        return Catalog(resources=resources, bundles=bundles, sod_rules=sod, birthright_rules=birthright,
                       settings=settings, files=self.collected.files)

    # --- conditions --------------------------------------------------------------------------

    def compile(self, source: str, variables: dict[str, tuple[str, ...]], doc: YamlDocument,
                path: PathKey, what: str, functions: frozenset[str] = frozenset()) -> Condition | None:
        """Compile once per place it is written; inherited conditions are not compiled again."""
        key = (doc.file, path)
        if key not in self._conditions:
            try:
                self._conditions[key] = compile_condition(source, variables, functions)
            except CelCompileError as exc:
                line = doc.text_lines.get(path, doc.line(path) or 1) + exc.line - 1
                self.issues.append(PolicyIssue(doc.file, line, f"{what}: {exc}"))
                self._conditions[key] = None
        return self._conditions[key]

    def _rule(self, name: str, spec: Any, layer: Layer, base: PathKey, variables: dict, what: str,
              functions: frozenset[str] = frozenset()) -> Rule | None:
        doc = layer.doc
        path = layer.path + base
        if path + ("when",) in doc.text_lines:
            path = path + ("when",)
        condition = self.compile(spec.when, variables, doc, path, what, functions)
        if condition is None:
            return None
        ends_with_shift = bool(getattr(spec, "ends_with_shift", False))
        if ends_with_shift and not condition.schedules:
            self.issues.append(layer.issue(f"{what}: ends_with_shift needs a condition that calls "
                                           'on_call("schedule") or on_call_level("schedule")', *base))
            return None
        return Rule(name, condition, spec.description, layer.origin(*base), ends_with_shift)

    # --- resources and entitlements ----------------------------------------------------------

    def _resource(self, resource_id: str, piece: Piece[ResourceSpec]) -> Resource:
        spec = piece.spec
        self._check_people(spec.owners, piece.doc, piece.path + ("owners",), "owner")
        resource_layer = Layer(RESOURCE, f"resource {resource_id}", spec, piece.doc, piece.path)
        self._check_layer(resource_layer)
        entitlements = {}
        for role, espec in self.collected.entitlements.get(resource_id, {}).items():
            ref = f"{resource_id}:{role}"
            entitlement_layer = Layer(ENTITLEMENT, f"entitlement {ref}", espec, piece.doc,
                                      piece.path + ("entitlements", role))
            self._check_layer(entitlement_layer)
            layers = Layers([entitlement_layer, resource_layer] + ([self.catalog_layer] if self.catalog_layer else []))
            built = self._entitlement(resource_id, spec, role, layers)
            if built is not None:
                entitlements[role] = built
        channel = spec.approvals_channel or (self.catalog_layer.spec.approvals_channel if self.catalog_layer else None)
        return Resource(resource_id, spec.name or resource_id, spec.description, list(spec.owners), channel,
                        entitlements, SourceRef(piece.doc.file, piece.line()))

    def _entitlement(self, resource_id: str, resource: ResourceSpec, role: str, layers: Layers) -> Entitlement | None:
        own = layers.entitlement
        espec = own.spec
        ref = f"{resource_id}:{role}"
        label = f"{resource.name or resource_id} {role}"
        picked = {key: layers.pick(key, BUILT_IN.get(key)) for key in _INHERITED}
        connector = self._connector(picked["connector"], own, ref, resource_id)
        if espec.target is None:
            self.issues.append(own.issue(f"{ref} has no target: (the group, team, permission set or account "
                                         "that the connector grants)"))
        elif connector:
            self._check_target(ref, connector, espec.target, own, picked["target_options"])
        owners, owners_at = (espec.owners, own) if espec.owners is not None else (resource.owners, layers.layers[1])
        if espec.owners is not None:
            self._check_people(espec.owners, own.doc, own.path + ("owners",), "owner")
        durations, origins = resolve_durations(layers, label, self.issues)
        steps = self._steps(picked["approval"], owners, owners_at)
        eligibility = self._eligibility(picked["eligibility"])
        auto = self._auto_approve(picked["auto_approve"])
        warnings = picked["expiry_warnings"]
        origins.update({key: p.origin(key) for key, p in picked.items()})
        return Entitlement(
            ref=ref, resource_id=resource_id, role=role, title=espec.title or role,
            description=espec.description, resource_name=resource.name or resource_id,
            connector=connector or "", target=espec.target or "",
            target_options=dict(picked["target_options"].value), risk=picked["risk"].value,
            requestable=picked["requestable"].value, owners=list(owners),
            approvals_channel=picked["approvals_channel"].value, durations=durations,
            require_justification=picked["require_justification"].value,
            require_ticket=picked["require_ticket"].value, ticket_pattern=picked["ticket_pattern"].value,
            approval_steps=steps,
            expiry_warnings=sorted(set(warnings.value or DEFAULT_EXPIRY_WARNINGS), reverse=True),
            expiry_warnings_configured=warnings.value is not None,
            extend_auto_approve_limit=picked["extend_auto_approve_limit"].value,
            reminder_after=picked["reminder_after"].value,
            escalate_after_reminders=picked["escalate_after_reminders"].value,
            request_timeout=picked["request_timeout"].value,
            eligibility=eligibility, auto_approve=auto,
            source=SourceRef(own.doc.file, own.line()), origins=origins,
            break_glass=self._break_glass(layers.pick("break_glass")),
            license=LicenseCost.of(layers.pick("license").value),
            inactivity=self._inactivity(layers.pick("inactivity"), ref, owners, picked["risk"].value, own),
        )

    def _inactivity(self, picked: Picked, ref: str, owners: list[str], risk: str, own: Layer):
        policy = InactivityPolicy.of(picked.value, picked.origin("inactivity") if picked.layer else "")
        if policy is not None and not owners and (policy.then == ASK_OWNER or policy.asks_owner_first(risk)):
            at = picked.layer or own
            self.issues.append(at.issue(f"{ref}: inactivity asks the owner, but {ref} has no owners: "
                                        "add owners: or set then: release / high_risk: ask_holder", "inactivity"))
        return policy

    def _connector(self, picked: Picked, own: Layer, ref: str, resource_id: str) -> str | None:
        if picked.value is None:
            self.issues.append(own.issue(f"{ref} has no connector: set connector: on the entitlement or on "
                                         f"resource {resource_id} (a name from connectors.yaml)"))
        return picked.value

    def _check_target(self, ref: str, connector: str, target: str, own: Layer, options: Picked) -> None:
        """The target and its options, against the schema of the connector instance's type."""
        check = (self.known.targets or {}).get(connector)
        if check is None:
            return
        for option, reason in check(target, options.value or {}):
            if option is None:
                self.issues.append(own.issue(f"{ref}: target {target!r} for connector {connector!r}: {reason}",
                                             "target"))
            else:
                at = options.layer or own
                self.issues.append(at.issue(f"{ref}: target option {option!r} for connector {connector!r}: "
                                            f"{reason}", "target_options", option))

    def _check_layer(self, layer: Layer) -> None:
        """Check what is written at one level, once, whether or not anything inherits it."""
        spec, known = layer.spec, self.known.connectors
        if spec.connector and known is not None and spec.connector not in known:
            listing = ", ".join(sorted(known)) or "none"
            self.issues.append(layer.issue(
                f"{layer.subject}: unknown connector {spec.connector!r}{_close(spec.connector, known)}; "
                f"configured connectors: {listing}", "connector"))
        for index, step in enumerate(spec.approval or []):
            at = layer.path + ("approval", index)
            self._check_people(step.people, layer.doc, at + ("people",), "approver")
            if step.group:
                self._check_group(step.group, layer.doc, at + ("group",))
        self._eligibility(Picked(spec.eligibility, layer))
        self._auto_approve(Picked(spec.auto_approve or [], layer))
        self._break_glass(Picked(spec.break_glass, layer))

    def _steps(self, picked: Picked, owners: list[str], owners_at: Layer) -> list[ApprovalStepSpec]:
        steps = []
        for step in picked.value:
            if step.kind == "owners":
                self._check_owner_quorum(step, owners, owners_at, picked)
            label = step.label or ApprovalStepSpec.default_label(step.kind, step.group)
            steps.append(ApprovalStepSpec(step.kind, step.quorum, list(step.people), step.group, label))
        return steps

    def _check_owner_quorum(self, step: ApprovalStepSpecIn, owners: list[str], owners_at: Layer,
                            picked: Picked) -> None:
        chain = picked.origin("approval")
        if not owners:
            self.issues.append(owners_at.issue(f"{owners_at.name} has no owners, but its approval chain has an "
                                               f"'owners' step ({chain})"))
        elif step.quorum > len(owners):
            self.issues.append(owners_at.issue(f"the 'owners' step needs {step.quorum} approvals but "
                                               f"{owners_at.name} has {len(owners)} owner(s) ({chain})"))

    def _eligibility(self, picked: Picked) -> Rule | None:
        if picked.value is None or picked.layer is None:
            return None
        return self._rule("eligibility", picked.value, picked.layer, ("eligibility",), ELIGIBILITY_VARIABLES,
                          f"{picked.layer.subject}: eligibility")

    def _auto_approve(self, picked: Picked) -> list[Rule]:
        if picked.layer is None:
            return []
        layer, rules = picked.layer, []
        listed = layer.path + ("auto_approve", 0) in layer.doc.lines
        for index, spec in enumerate(picked.value):
            base = ("auto_approve", index) if listed else ("auto_approve",)
            name = spec.name or (f"auto-approve #{index + 1}" if len(picked.value) > 1 else "auto-approve")
            what = f"{layer.subject}: auto_approve {name!r}"
            rule = self._rule(name, spec, layer, base, AUTO_APPROVE_VARIABLES, what, ON_CALL_FUNCTIONS)
            if rule is not None:
                rules.append(rule)
        return rules

    def _break_glass(self, picked: Picked) -> BreakGlassPolicy | None:
        spec, layer = picked.value, picked.layer
        if spec is None or layer is None or not spec.allowed:
            return None
        who = None
        if spec.who is not None:
            who = self._rule("break-glass who", spec.who, layer, ("break_glass", "who"), ELIGIBILITY_VARIABLES,
                             f"{layer.subject}: break_glass who")
        if spec.review.by == "people":
            self._check_people(spec.review.people, layer.doc, layer.path + ("break_glass", "review", "people"),
                               "break-glass reviewer")
        return BreakGlassPolicy(
            who=who, max_duration=spec.max_duration, budget_uses=spec.budget.uses, budget_period=spec.budget.per,
            require_ticket=spec.require_ticket, ticket_pattern=spec.ticket_pattern, notify=tuple(spec.notify),
            channel=spec.channel, review_by=spec.review.by, review_people=tuple(spec.review.people),
            review_within=spec.review.within, block_when_overdue=spec.review.block_when_overdue,
            origin=layer.origin("break_glass"))

    # --- directory checks --------------------------------------------------------------------

    def _check_people(self, emails: list[str], doc: YamlDocument, path: PathKey, role: str) -> None:
        known = self.known.people
        if known is None:
            return
        for index, email in enumerate(emails):
            if email not in known:
                self.issues.append(doc.issue(path + (index,), f"{role} {email} is not in the people directory"
                                                              f"{_close_email(email, known)}"))

    def _check_group(self, group: str, doc: YamlDocument, path: PathKey) -> None:
        known = self.known.groups
        if known is not None and group not in known:
            self.issues.append(doc.issue(path, f"unknown directory group {group!r}{_close(group, known)}"))

    def _settings(self) -> Settings:
        piece = self.collected.settings
        defaults = self.catalog_layer.spec if self.catalog_layer else None
        reminders = {
            "default_reminder_after": (defaults and defaults.reminder_after) or BUILT_IN["reminder_after"],
            "default_escalate_after_reminders": (
                defaults.escalate_after_reminders if defaults and defaults.escalate_after_reminders is not None
                else BUILT_IN["escalate_after_reminders"]),
            "default_request_timeout": (defaults and defaults.request_timeout) or BUILT_IN["request_timeout"],
        }
        if piece is None:
            return Settings(**reminders)
        spec = piece.spec
        if spec.it_admins_group:
            self._check_group(spec.it_admins_group, piece.doc, piece.path + ("it_admins_group",))
        fallback = spec.fallback
        if fallback is not None:
            self._check_people(fallback.people, piece.doc, piece.path + ("fallback", "people"), "fallback approver")
            if fallback.group:
                self._check_group(fallback.group, piece.doc, piece.path + ("fallback", "group"))
        hours = spec.business_hours
        return Settings(
            it_admins_group=spec.it_admins_group, it_channel=spec.it_channel,
            fallback_people=list(fallback.people) if fallback else [],
            fallback_group=fallback.group if fallback else spec.it_admins_group,
            business_hours=BusinessHours(parse_clock(hours.start), parse_clock(hours.end), parse_days(hours.days))
            if hours else BusinessHours(),
            timezone=spec.timezone, **reminders,
            **({"mover_grace_period": spec.mover_grace_period} if spec.mover_grace_period is not None else {}),
            **({"max_start_ahead": spec.max_start_ahead} if spec.max_start_ahead is not None else {}),
            **({"offboarding": _offboarding_settings(spec.offboarding)} if spec.offboarding is not None else {}),
        )


def _offboarding_settings(spec) -> OffboardingSettings:
    return OffboardingSettings(second_confirmation=spec.second_confirmation,
                               privileged_risks=frozenset(spec.privileged_risks), break_glass=spec.break_glass)


def _close(word: str, known: frozenset[str]) -> str:
    return did_you_mean(word, sorted(known), cutoff=0.8)


def _close_email(email: str, known: frozenset[str]) -> str:
    """Suggest by the part before @: every address in one domain looks alike as a whole."""
    local, _, domain = email.partition("@")
    same_domain = {k.partition("@")[0]: k for k in known if k.endswith(f"@{domain}")}
    hint = did_you_mean(local, sorted(same_domain), cutoff=0.8)
    if not hint:
        return ""
    match = hint.split("'")[1]
    return f" (did you mean {same_domain[match]}?)"
