"""Offline evaluation of IAM policy documents: "may this principal, with this request
context, perform this action on this resource?"

The estate's tests use it to prove what AWS will do with the key policies, bucket
policies, role trusts, permission sets and SCPs it synthesizes, for the principals that
must pass and those that must be refused, instead of only reading statements.

It implements the subset of AWS's evaluation logic the estate uses, following
"Policy evaluation logic" and "Cross-account policy evaluation logic" in the IAM User
Guide:

* ``Effect`` Allow/Deny; ``Action``/``NotAction``, ``Resource``/``NotResource``,
  ``Principal``/``NotPrincipal`` (``"*"``, ``AWS`` ARNs and account ids, ``Service``,
  ``Federated``), with ``*``/``?`` wildcards (case-insensitive for actions).
* Condition operators: String*, Arn*, Bool, Null, Numeric*, with the ``IfExists``
  suffix and the ``ForAnyValue:``/``ForAllValues:`` set qualifiers; policy variables
  (``${aws:PrincipalAccount}``) are substituted from the request context. An operator
  outside this subset raises :class:`UnsupportedPolicy`: nothing is silently treated
  as matching or not matching.
* Decisions: an explicit Deny anywhere wins; service control policies and resource
  control policies can only deny (each is assumed to sit beside ``FullAWSAccess``, as
  the organization attaches it); inside one account an Allow in the identity *or* the
  resource policy suffices, except for KMS key policies and role trust policies, which
  must allow the principal themselves or delegate to the account (``:root``), and then
  the identity policy must allow too; across accounts both sides must allow. Service
  principals have no identity policy and are not subject to SCPs (RCPs do apply).

The evaluator reads plain JSON policy documents; :func:`resolve` turns the CloudFormation
intrinsics CDK writes into them (``Fn::Join``, ``Fn::Sub``, ``Ref``, ``Fn::GetAtt``,
pseudo parameters) into strings first.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from functools import lru_cache
from typing import Any

ContextValue = str | bool | int | Sequence[str]
PolicyDocument = Mapping[str, Any]


class UnsupportedPolicy(ValueError):
    """A policy uses a construct this evaluator does not implement."""


class Decision(StrEnum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"

    @property
    def allowed(self) -> bool:
        return self is Decision.ALLOW


_ACCOUNT_ARN = re.compile(r"^arn:[\w-]+:(?:iam|sts)::(\d{12}):")


@dataclass(frozen=True)
class Principal:
    """Who makes the request: an IAM role/user/session (``arn``) or an AWS service."""

    arn: str | None = None
    service: str | None = None
    federated: str | None = None

    @classmethod
    def role(cls, account: str, name: str, *, path: str = "/", partition: str = "aws") -> Principal:
        return cls(arn=f"arn:{partition}:iam::{account}:role{path}{name}")

    @classmethod
    def of_service(cls, service: str) -> Principal:
        return cls(service=service)

    @property
    def account(self) -> str | None:
        if self.arn is None:
            return None
        match = _ACCOUNT_ARN.match(self.arn)
        return match.group(1) if match else None

    @property
    def is_service(self) -> bool:
        return self.service is not None

    def default_context(self) -> dict[str, ContextValue]:
        """The global condition keys AWS sets from the principal itself."""
        if self.service is not None:
            return {"aws:PrincipalIsAWSService": True, "aws:PrincipalServiceName": self.service}
        context: dict[str, ContextValue] = {"aws:PrincipalIsAWSService": False}
        if self.arn is not None:
            context["aws:PrincipalArn"] = self.arn
        if self.account is not None:
            context["aws:PrincipalAccount"] = self.account
        return context


@dataclass(frozen=True)
class Request:
    principal: Principal
    action: str
    resource: str = "*"
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    def full_context(self) -> dict[str, ContextValue]:
        merged = self.principal.default_context()
        merged.update(self.context)
        return merged


# --------------------------------------------------------------------------- matching


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    # fnmatch.translate also treats [] as classes; IAM does not, so escape them first.
    escaped = pattern.replace("[", "\x00").replace("]", "\x01")
    regex = fnmatch.translate(escaped).replace("\x00", r"\[").replace("\x01", r"\]")
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's ``*`` (any run, including ``:`` and ``/``) and ``?`` (one character)."""
    return _wildcard(pattern, ignore_case=ignore_case).match(value) is not None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _substitute(value: str, context: Mapping[str, ContextValue]) -> str:
    """Policy variables (``${aws:username}``); ``${*}``/``${?}``/``${$}`` are literals."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in ("*", "?", "$"):
            return name
        found = _lookup(context, name)
        if found is None or isinstance(found, list | tuple):
            # An absent variable makes the string match nothing (AWS: the statement fails).
            return "\x00unresolved\x00"
        return str(found).lower() if isinstance(found, bool) else str(found)

    return re.sub(r"\$\{([^}]+)\}", replace, value)


def _lookup(context: Mapping[str, ContextValue], key: str) -> ContextValue | None:
    # Condition key names are case-insensitive.
    lowered = key.lower()
    for name, value in context.items():
        if name.lower() == lowered:
            return value
    return None


def action_matches(patterns: Iterable[str], action: str) -> bool:
    return any(wildcard_match(p, action, ignore_case=True) for p in patterns)


def resource_matches(
    patterns: Iterable[str], resource: str, context: Mapping[str, ContextValue]
) -> bool:
    return any(wildcard_match(_substitute(p, context), resource) for p in patterns)


class PrincipalMatch(Enum):
    NONE = 0
    # The statement names the principal itself (its ARN, its service, or "*").
    DIRECT = 1
    # The statement names the principal's account ("123456789012" or ":root"): the
    # account's identity policies decide.
    ACCOUNT = 2


def _principal_match(block: Any, principal: Principal) -> PrincipalMatch:
    if block == "*":
        return PrincipalMatch.DIRECT
    if not isinstance(block, Mapping):
        raise UnsupportedPolicy(f"Principal must be '*' or an object, got {block!r}")
    best = PrincipalMatch.NONE
    for kind, values in block.items():
        for value in _as_list(values):
            if not isinstance(value, str):
                raise UnsupportedPolicy(f"unresolved principal value {value!r}")
            if kind == "Service":
                if principal.service is not None and value == principal.service:
                    return PrincipalMatch.DIRECT
            elif kind == "Federated":
                if principal.federated is not None and value in ("*", principal.federated):
                    return PrincipalMatch.DIRECT
            elif kind == "AWS":
                if principal.is_service:
                    continue
                if value == "*":
                    return PrincipalMatch.DIRECT
                account_root = re.fullmatch(r"(?:arn:[\w-]+:iam::)?(\d{12})(?::root)?", value)
                if account_root and principal.account == account_root.group(1):
                    best = PrincipalMatch.ACCOUNT
                elif principal.arn is not None and _same_principal_arn(value, principal.arn):
                    return PrincipalMatch.DIRECT
            elif kind == "CanonicalUser":
                continue
            else:
                raise UnsupportedPolicy(f"unknown principal type {kind!r}")
    return best


def _same_principal_arn(policy_arn: str, caller_arn: str) -> bool:
    """A role ARN in a policy also matches that role's sessions (assumed-role ARNs)."""
    if policy_arn == caller_arn:
        return True
    session = re.fullmatch(r"arn:([\w-]+):sts::(\d{12}):assumed-role/([^/]+)/.+", caller_arn)
    if session:
        partition, account, role = session.groups()
        return (
            re.fullmatch(
                rf"arn:{re.escape(partition)}:iam::{account}:role/(?:.*/)?{re.escape(role)}",
                policy_arn,
            )
            is not None
        )
    return False


# --------------------------------------------------------------------------- conditions

_STRING_OPS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda p, v: p == v,
    "StringNotEquals": lambda p, v: p == v,
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringNotEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringLike": lambda p, v: wildcard_match(p, v),
    "StringNotLike": lambda p, v: wildcard_match(p, v),
    "ArnEquals": lambda p, v: _arn_like(p, v),
    "ArnNotEquals": lambda p, v: _arn_like(p, v),
    "ArnLike": lambda p, v: _arn_like(p, v),
    "ArnNotLike": lambda p, v: _arn_like(p, v),
}
_NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "ArnNotEquals",
    "ArnNotLike",
    "NumericNotEquals",
}
_NUMERIC_OPS: dict[str, Callable[[float, float], bool]] = {
    "NumericEquals": lambda a, b: a == b,
    "NumericNotEquals": lambda a, b: a == b,
    "NumericLessThan": lambda a, b: a < b,
    "NumericLessThanEquals": lambda a, b: a <= b,
    "NumericGreaterThan": lambda a, b: a > b,
    "NumericGreaterThanEquals": lambda a, b: a >= b,
}


def _arn_like(pattern: str, value: str) -> bool:
    # ARN operators compare the six colon-separated parts one by one; a value that is
    # not an ARN never matches.
    p_parts = pattern.split(":", 5)
    v_parts = value.split(":", 5)
    if len(p_parts) != 6:
        raise UnsupportedPolicy(f"ARN condition value {pattern!r} does not have six parts")
    if len(v_parts) != 6:
        return False
    return all(wildcard_match(p, v) for p, v in zip(p_parts, v_parts, strict=True))


def _as_bool(value: ContextValue) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _condition_matches(
    operator: str, block: Mapping[str, Any], context: Mapping[str, ContextValue]
) -> bool:
    qualifier = ""
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
        if qualifier not in ("ForAnyValue", "ForAllValues"):
            raise UnsupportedPolicy(f"unknown condition set qualifier {qualifier!r}")
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    for key, expected in block.items():
        patterns = [_normalize_expected(v) for v in _as_list(expected)]
        actual = _lookup(context, key)
        if base == "Null":
            want_absent = [_as_bool(p) for p in patterns]
            if None in want_absent:
                raise UnsupportedPolicy(f"Null condition on {key} needs true/false")
            if not any((actual is None) == bool(w) for w in want_absent):
                return False
            continue
        if actual is None:
            if if_exists or qualifier == "ForAllValues":
                continue
            if qualifier == "ForAnyValue":
                return False
            # A missing key fails positive operators and satisfies negated ones.
            if base in _NEGATED:
                continue
            return False
        if not _key_matches(base, patterns, actual, qualifier, context):
            return False
    return True


def _normalize_expected(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        raise UnsupportedPolicy(f"unresolved condition value {value!r}")
    return value


def _key_matches(
    base: str,
    patterns: list[str],
    actual: ContextValue,
    qualifier: str,
    context: Mapping[str, ContextValue],
) -> bool:
    values = [actual] if not isinstance(actual, list | tuple) else list(actual)
    if len(values) > 1 and not qualifier:
        raise UnsupportedPolicy(f"multivalued context key needs ForAnyValue/ForAllValues ({base})")

    def single(value: ContextValue) -> bool:
        if base in _STRING_OPS:
            compare = _STRING_OPS[base]
            hit = any(compare(_substitute(p, context), str(value)) for p in patterns)
            return not hit if base in _NEGATED else hit
        if base == "Bool":
            got = _as_bool(value)
            return got is not None and any(_as_bool(p) == got for p in patterns)
        if base in _NUMERIC_OPS:
            number = float(str(value))
            hit = any(_NUMERIC_OPS[base](number, float(p)) for p in patterns)
            return not hit if base in _NEGATED else hit
        raise UnsupportedPolicy(f"condition operator {base!r} is not implemented")

    if qualifier == "ForAllValues":
        return all(single(v) for v in values)
    return any(single(v) for v in values)


# --------------------------------------------------------------------------- statements


def _statements(document: PolicyDocument) -> list[Mapping[str, Any]]:
    if "Statement" not in document:
        raise UnsupportedPolicy("policy document has no Statement")
    return list(_as_list(document["Statement"]))


def statement_applies(
    statement: Mapping[str, Any], request: Request, *, resource_policy: bool
) -> PrincipalMatch:
    """How the statement's principal, action, resource and conditions match the request
    (``NONE`` when any of them does not)."""
    context = request.full_context()
    if resource_policy:
        if "Principal" in statement:
            match = _principal_match(statement["Principal"], request.principal)
        elif "NotPrincipal" in statement:
            inner = _principal_match(statement["NotPrincipal"], request.principal)
            match = PrincipalMatch.DIRECT if inner is PrincipalMatch.NONE else PrincipalMatch.NONE
        else:
            raise UnsupportedPolicy("a resource-policy statement needs Principal or NotPrincipal")
        if match is PrincipalMatch.NONE:
            return match
    else:
        if "Principal" in statement or "NotPrincipal" in statement:
            raise UnsupportedPolicy("an identity-policy statement cannot name a Principal")
        match = PrincipalMatch.DIRECT
    if "Action" in statement:
        if not action_matches(_as_list(statement["Action"]), request.action):
            return PrincipalMatch.NONE
    elif "NotAction" in statement:
        if action_matches(_as_list(statement["NotAction"]), request.action):
            return PrincipalMatch.NONE
    else:
        raise UnsupportedPolicy("statement has neither Action nor NotAction")
    if "Resource" in statement:
        if not resource_matches(_as_list(statement["Resource"]), request.resource, context):
            return PrincipalMatch.NONE
    elif "NotResource" in statement:
        if resource_matches(_as_list(statement["NotResource"]), request.resource, context):
            return PrincipalMatch.NONE
    elif not resource_policy:
        raise UnsupportedPolicy("an identity-policy statement needs Resource or NotResource")
    for operator, block in (statement.get("Condition") or {}).items():
        if not isinstance(block, Mapping):
            raise UnsupportedPolicy(f"condition block {operator} must be an object")
        if not _condition_matches(operator, block, context):
            return PrincipalMatch.NONE
    return match


@dataclass(frozen=True)
class PolicyResult:
    denied: bool
    allowed: PrincipalMatch
    statement_ids: tuple[str, ...] = ()


def evaluate_document(
    document: PolicyDocument, request: Request, *, resource_policy: bool
) -> PolicyResult:
    """Whether one document explicitly denies, and how strongly it allows, the request."""
    denied = False
    allowed = PrincipalMatch.NONE
    sids: list[str] = []
    for statement in _statements(document):
        effect = statement.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise UnsupportedPolicy(f"Effect must be Allow or Deny, got {effect!r}")
        match = statement_applies(statement, request, resource_policy=resource_policy)
        if match is PrincipalMatch.NONE:
            continue
        sids.append(str(statement.get("Sid", "")))
        if effect == "Deny":
            denied = True
        elif match is PrincipalMatch.DIRECT or allowed is PrincipalMatch.NONE:
            allowed = match
    return PolicyResult(denied=denied, allowed=allowed, statement_ids=tuple(sids))


def authorize(
    request: Request,
    *,
    resource_account: str | None = None,
    resource_policy: PolicyDocument | None = None,
    identity_policies: Sequence[PolicyDocument] = (),
    service_control_policies: Sequence[PolicyDocument] = (),
    resource_control_policies: Sequence[PolicyDocument] = (),
    resource_policy_required: bool = False,
) -> Decision:
    """AWS's decision for ``request``.

    ``resource_policy_required`` is True for KMS key policies and role trust policies:
    there the resource policy must allow the principal (or its account, delegating to
    the identity policies) even inside one account.
    """
    principal = request.principal
    results: list[PolicyResult] = []
    if resource_policy is not None:
        results.append(evaluate_document(resource_policy, request, resource_policy=True))
    identity = [evaluate_document(d, request, resource_policy=False) for d in identity_policies]
    guardrails: list[PolicyResult] = []
    if not principal.is_service:
        guardrails += [
            evaluate_document(d, request, resource_policy=False) for d in service_control_policies
        ]
    # RCPs are written like resource policies (``"Principal": "*"``).
    guardrails += [
        evaluate_document(d, request, resource_policy=True) for d in resource_control_policies
    ]
    if any(r.denied for r in (*results, *identity, *guardrails)):
        return Decision.EXPLICIT_DENY

    resource_grant = results[0].allowed if results else PrincipalMatch.NONE
    identity_allows = any(r.allowed is not PrincipalMatch.NONE for r in identity)
    # Service principals and federated (SAML/OIDC) identities have no identity policy:
    # the resource policy (for federation, the role trust) decides alone.
    if principal.is_service or principal.federated is not None:
        return Decision.ALLOW if resource_grant is PrincipalMatch.DIRECT else Decision.IMPLICIT_DENY
    # Without a resource account the resource is taken to be the principal's own.
    same_account = resource_account is None or principal.account == resource_account
    if same_account and not resource_policy_required:
        allowed = identity_allows or resource_grant is PrincipalMatch.DIRECT
    elif same_account:
        allowed = resource_grant is PrincipalMatch.DIRECT or (
            resource_grant is PrincipalMatch.ACCOUNT and identity_allows
        )
    else:
        allowed = resource_grant is not PrincipalMatch.NONE and identity_allows
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


# --------------------------------------------------------------------------- intrinsics


@dataclass(frozen=True)
class TemplateContext:
    """What :func:`resolve` needs to turn a template's intrinsics into strings.

    ``references`` maps a logical id (``"Key"``) or attribute (``"Key.Arn"``) to its
    value; any other ``Ref``/``GetAtt`` raises, so a test never evaluates a policy
    against a placeholder it did not choose. ``stack_outputs`` resolves CDK's weak
    cross-stack references (``Fn::GetStackOutput``) by ``(stack name, output name)``,
    ``exports`` its strong ones (``Fn::ImportValue``) by export name.
    """

    account: str
    region: str
    partition: str = "aws"
    references: Mapping[str, str] = field(default_factory=dict)
    stack_outputs: Mapping[tuple[str, str], str] = field(default_factory=dict)
    # Strong cross-stack references (``Fn::ImportValue``) by export name.
    exports: Mapping[str, str] = field(default_factory=dict)

    def pseudo(self, name: str) -> str | None:
        return {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": "amazonaws.com",
        }.get(name)

    def reference(self, name: str) -> str:
        pseudo = self.pseudo(name)
        if pseudo is not None:
            return pseudo
        if name in self.references:
            return self.references[name]
        raise UnsupportedPolicy(f"no value given for reference {name!r}")


def resolve(value: Any, ctx: TemplateContext) -> Any:
    """The value with every CloudFormation intrinsic CDK emits in policies resolved."""
    if isinstance(value, list):
        return [resolve(v, ctx) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((name, arg),) = value.items()
        if name == "Ref":
            return ctx.reference(str(arg))
        if name == "Fn::GetAtt":
            logical, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
            return ctx.reference(f"{logical}.{attribute}")
        if name == "Fn::Join":
            separator, parts = arg
            return str(separator).join(str(resolve(p, ctx)) for p in parts)
        if name == "Fn::Sub":
            template, variables = (arg, {}) if isinstance(arg, str) else arg
            values = {k: str(resolve(v, ctx)) for k, v in variables.items()}

            def sub(match: re.Match[str]) -> str:
                key = match.group(1)
                if key.startswith("!"):
                    return "${" + key[1:] + "}"
                if key in values:
                    return values[key]
                return ctx.reference(key)

            return re.sub(r"\$\{([^}]+)\}", sub, template)
        if name == "Fn::Select":
            index, items = arg
            resolved = resolve(items, ctx)
            # A Ref to a list parameter: ``references`` holds it comma-separated.
            if isinstance(resolved, str):
                resolved = resolved.split(",")
            return resolved[int(resolve(index, ctx))]
        if name == "Fn::Split":
            separator, text = arg
            return str(resolve(text, ctx)).split(separator)
        if name == "Fn::GetStackOutput":
            key = (str(arg["StackName"]), str(arg["OutputName"]))
            if key not in ctx.stack_outputs:
                raise UnsupportedPolicy(f"no value given for stack output {key}")
            return ctx.stack_outputs[key]
        if name == "Fn::ImportValue":
            export = str(resolve(arg, ctx))
            if export not in ctx.exports:
                raise UnsupportedPolicy(f"no value given for export {export!r}")
            return ctx.exports[export]
        if name.startswith("Fn::") or name == "Condition":
            raise UnsupportedPolicy(f"intrinsic {name} is not supported")
    return {k: resolve(v, ctx) for k, v in value.items()}
