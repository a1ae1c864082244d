"""The offline IAM evaluator: each rule of AWS's evaluation logic it implements, with the
example that AWS's documentation gives for it where there is one."""

from __future__ import annotations

from typing import Any

import pytest
from innovate_infra.compliance.policy_eval import (
    Decision,
    Principal,
    Request,
    TemplateContext,
    UnsupportedPolicy,
    authorize,
    evaluate_document,
    resolve,
    wildcard_match,
)

DEV = "111111111111"
PROD = "222222222222"
DEVELOPER = Principal.role(
    DEV, "AWSReservedSSO_Developer_abc123", path="/aws-reserved/sso.amazonaws.com/eu-west-1/"
)
CLOUDTRAIL = Principal.of_service("cloudtrail.amazonaws.com")
KEY_ARN = f"arn:aws:kms:eu-west-1:{DEV}:key/1234"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Allow", **fields}


def deny(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Deny", **fields}


ANY_IDENTITY = doc(allow(Action="*", Resource="*"))


def decide(policy: dict[str, Any], request: Request, **kw: Any) -> Decision:
    return authorize(request, resource_policy=policy, resource_account=DEV, **kw)


class TestWildcards:
    def test_star_spans_separators_and_question_mark_is_one_character(self) -> None:
        assert wildcard_match("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c")
        assert wildcard_match("cdk-?????????-deploy-role-*", "cdk-hnb659fds-deploy-role-1-eu")
        assert not wildcard_match("cdk-?????????-deploy-role-*", "cdk-hnb659f-deploy-role-1")

    def test_brackets_are_literal(self) -> None:
        assert wildcard_match("a[1]", "a[1]")
        assert not wildcard_match("a[12]", "a1")

    def test_actions_are_case_insensitive_resources_are_not(self) -> None:
        policy = doc(allow(Action="KMS:decrypt", Resource="arn:aws:s3:::Bucket"))
        ok = Request(DEVELOPER, "kms:Decrypt", "arn:aws:s3:::Bucket")
        assert evaluate_document(policy, ok, resource_policy=False).allowed.name == "DIRECT"
        wrong_case = Request(DEVELOPER, "kms:Decrypt", "arn:aws:s3:::bucket")
        assert evaluate_document(policy, wrong_case, resource_policy=False).allowed.name == "NONE"


class TestStatements:
    def test_not_action_allows_everything_else(self) -> None:
        power_user = doc(allow(NotAction=["iam:*", "organizations:*"], Resource="*"))
        assert authorize(
            Request(DEVELOPER, "kms:PutKeyPolicy"), identity_policies=[power_user]
        ).allowed
        assert not authorize(
            Request(DEVELOPER, "iam:CreateRole"), identity_policies=[power_user]
        ).allowed

    def test_not_resource(self) -> None:
        policy = doc(allow(Action="s3:*", NotResource="arn:aws:s3:::secret/*"))
        assert authorize(
            Request(DEVELOPER, "s3:GetObject", "arn:aws:s3:::open/x"), identity_policies=[policy]
        ).allowed
        assert not authorize(
            Request(DEVELOPER, "s3:GetObject", "arn:aws:s3:::secret/x"), identity_policies=[policy]
        ).allowed

    def test_explicit_deny_beats_allow(self) -> None:
        policies = [
            ANY_IDENTITY,
            doc(deny(Action="sts:AssumeRole", Resource="arn:aws:iam::*:role/cdk-*")),
        ]
        request = Request(DEVELOPER, "sts:AssumeRole", f"arn:aws:iam::{DEV}:role/cdk-x-deploy-role")
        assert authorize(request, identity_policies=policies) is Decision.EXPLICIT_DENY

    def test_nothing_allows_means_implicit_deny(self) -> None:
        assert authorize(Request(DEVELOPER, "s3:GetObject")) is Decision.IMPLICIT_DENY

    def test_identity_statement_with_principal_is_refused(self) -> None:
        with pytest.raises(UnsupportedPolicy, match="cannot name a Principal"):
            authorize(
                Request(DEVELOPER, "s3:GetObject"),
                identity_policies=[doc(allow(Principal="*", Action="*", Resource="*"))],
            )

    def test_bad_effect_is_refused(self) -> None:
        with pytest.raises(UnsupportedPolicy, match="Effect"):
            authorize(
                Request(DEVELOPER, "s3:GetObject"),
                identity_policies=[doc({"Effect": "allow", "Action": "*", "Resource": "*"})],
            )


class TestPrincipals:
    def test_service_principal(self) -> None:
        policy = doc(
            allow(
                Principal={"Service": "cloudtrail.amazonaws.com"},
                Action="kms:GenerateDataKey*",
                Resource="*",
            )
        )
        assert decide(policy, Request(CLOUDTRAIL, "kms:GenerateDataKey")).allowed
        assert not decide(
            policy, Request(Principal.of_service("config.amazonaws.com"), "kms:GenerateDataKey")
        ).allowed
        # A service principal statement never admits an IAM role.
        developer = Request(DEVELOPER, "kms:GenerateDataKey")
        assert not decide(
            policy, developer, identity_policies=[ANY_IDENTITY], resource_policy_required=True
        ).allowed

    def test_federated_wildcard_matches_any_federated_principal_only(self) -> None:
        policy = doc(
            allow(
                Principal={"Federated": "*"},
                Action="sts:AssumeRoleWithWebIdentity",
                Resource="*",
            )
        )
        oidc = Principal(federated=f"arn:aws:iam::{DEV}:oidc-provider/oidc.eks.example")
        assert decide(policy, Request(oidc, "sts:AssumeRoleWithWebIdentity")).allowed
        assert not decide(policy, Request(DEVELOPER, "sts:AssumeRoleWithWebIdentity")).allowed
        assert not decide(policy, Request(CLOUDTRAIL, "sts:AssumeRoleWithWebIdentity")).allowed

    def test_role_arn_matches_its_sessions(self) -> None:
        role_arn = f"arn:aws:iam::{DEV}:role/deployer"
        session = Principal(arn=f"arn:aws:sts::{DEV}:assumed-role/deployer/pipeline")
        policy = doc(allow(Principal={"AWS": role_arn}, Action="s3:GetObject", Resource="*"))
        assert decide(policy, Request(session, "s3:GetObject")).allowed
        other = Principal(arn=f"arn:aws:sts::{DEV}:assumed-role/deployer2/x")
        assert not decide(policy, Request(other, "s3:GetObject")).allowed

    def test_not_principal_deny(self) -> None:
        # Deny everyone but the named role.
        policy = doc(
            allow(Principal={"AWS": f"arn:aws:iam::{DEV}:root"}, Action="s3:*", Resource="*"),
            deny(
                NotPrincipal={"AWS": f"arn:aws:iam::{DEV}:role/admin"},
                Action="s3:DeleteBucket",
                Resource="*",
            ),
        )
        admin = Principal.role(DEV, "admin")
        assert decide(
            policy, Request(admin, "s3:DeleteBucket"), identity_policies=[ANY_IDENTITY]
        ).allowed
        assert (
            decide(policy, Request(DEVELOPER, "s3:DeleteBucket"), identity_policies=[ANY_IDENTITY])
            is Decision.EXPLICIT_DENY
        )

    def test_unknown_principal_type_is_refused(self) -> None:
        with pytest.raises(UnsupportedPolicy, match="principal type"):
            decide(
                doc(allow(Principal={"Robot": "x"}, Action="*")), Request(DEVELOPER, "s3:GetObject")
            )


class TestDecisionLogic:
    """IAM User Guide, "Policy evaluation logic" and "Cross-account policy evaluation"."""

    def test_same_account_either_side_suffices(self) -> None:
        bucket = doc(allow(Principal={"AWS": DEVELOPER.arn}, Action="s3:GetObject", Resource="*"))
        assert decide(bucket, Request(DEVELOPER, "s3:GetObject")).allowed  # resource side only
        empty = doc(
            allow(
                Principal={"AWS": "arn:aws:iam::999999999999:root"},
                Action="s3:GetObject",
                Resource="*",
            )
        )
        assert decide(
            empty, Request(DEVELOPER, "s3:GetObject"), identity_policies=[ANY_IDENTITY]
        ).allowed

    def test_key_policy_must_allow_even_in_the_same_account(self) -> None:
        """KMS: "No AWS principal has any permissions to a KMS key unless that permission
        is explicitly allowed in the key policy"; a ``:root`` statement delegates to IAM."""
        unrelated = doc(
            allow(Principal={"Service": "logs.amazonaws.com"}, Action="kms:*", Resource="*")
        )
        request = Request(DEVELOPER, "kms:Decrypt", KEY_ARN)
        assert (
            decide(
                unrelated, request, identity_policies=[ANY_IDENTITY], resource_policy_required=True
            )
            is Decision.IMPLICIT_DENY
        )
        root = doc(
            allow(Principal={"AWS": f"arn:aws:iam::{DEV}:root"}, Action="kms:*", Resource="*")
        )
        assert decide(
            root, request, identity_policies=[ANY_IDENTITY], resource_policy_required=True
        ).allowed
        # The root statement alone (no identity allow) is not enough.
        assert not decide(root, request, resource_policy_required=True).allowed

    def test_cross_account_needs_both_sides(self) -> None:
        prod_role = Principal.role(PROD, "app")
        bucket = doc(
            allow(
                Principal={"AWS": f"arn:aws:iam::{PROD}:root"}, Action="s3:GetObject", Resource="*"
            )
        )
        request = Request(prod_role, "s3:GetObject", "arn:aws:s3:::b/k")
        assert not decide(bucket, request).allowed
        assert decide(bucket, request, identity_policies=[ANY_IDENTITY]).allowed
        assert not decide(
            doc(allow(Principal={"AWS": f"arn:aws:iam::{DEV}:root"}, Action="*", Resource="*")),
            request,
            identity_policies=[ANY_IDENTITY],
        ).allowed

    def test_scp_deny_applies_to_roles_not_to_service_principals(self) -> None:
        scp = doc(deny(Action="kms:*", Resource="*"))
        key = doc(
            allow(Principal={"AWS": f"arn:aws:iam::{DEV}:root"}, Action="kms:*", Resource="*"),
            allow(Principal={"Service": "cloudtrail.amazonaws.com"}, Action="kms:*", Resource="*"),
        )
        assert (
            decide(
                key,
                Request(DEVELOPER, "kms:Decrypt"),
                identity_policies=[ANY_IDENTITY],
                service_control_policies=[scp],
            )
            is Decision.EXPLICIT_DENY
        )
        assert decide(
            key, Request(CLOUDTRAIL, "kms:Decrypt"), service_control_policies=[scp]
        ).allowed

    def test_rcp_deny_applies_to_service_principals_too(self) -> None:
        rcp = doc(
            deny(
                Principal="*",
                Action="s3:*",
                Resource="*",
                Condition={"Bool": {"aws:SecureTransport": "false"}},
            )
        )
        bucket = doc(
            allow(
                Principal={"Service": "logging.s3.amazonaws.com"},
                Action="s3:PutObject",
                Resource="*",
            )
        )
        service = Principal.of_service("logging.s3.amazonaws.com")
        plain = Request(service, "s3:PutObject", context={"aws:SecureTransport": False})
        assert decide(bucket, plain, resource_control_policies=[rcp]) is Decision.EXPLICIT_DENY
        tls = Request(service, "s3:PutObject", context={"aws:SecureTransport": True})
        assert decide(bucket, tls, resource_control_policies=[rcp]).allowed


class TestConditions:
    def _one(self, condition: dict[str, Any], context: dict[str, Any]) -> bool:
        policy = doc(allow(Action="s3:GetObject", Resource="*", Condition=condition))
        return authorize(
            Request(DEVELOPER, "s3:GetObject", context=context), identity_policies=[policy]
        ).allowed

    def test_string_equals_and_missing_key(self) -> None:
        cond = {"StringEquals": {"aws:SourceAccount": [DEV, PROD]}}
        assert self._one(cond, {"aws:SourceAccount": PROD})
        assert not self._one(cond, {"aws:SourceAccount": "333333333333"})
        assert not self._one(cond, {})

    def test_negated_operator_with_missing_key_matches(self) -> None:
        # IAM User Guide: a negated operator on an absent key evaluates to true.
        assert self._one({"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}, {})
        assert not self._one(
            {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}, {"aws:PrincipalOrgID": "o-abc"}
        )
        assert self._one(
            {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/x"}},
            {"aws:PrincipalArn": "arn:aws:iam::1:role/y"},
        )

    def test_if_exists(self) -> None:
        cond = {"StringNotEqualsIfExists": {"aws:SourceAccount": DEV}}
        assert self._one(cond, {})
        assert not self._one(cond, {"aws:SourceAccount": DEV})
        assert self._one({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}, {})
        assert not self._one(
            {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}},
            {"aws:MultiFactorAuthPresent": False},
        )

    def test_bool_and_null(self) -> None:
        assert self._one({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": True})
        assert not self._one({"Bool": {"aws:SecureTransport": "true"}}, {})
        assert self._one({"Null": {"aws:SourceArn": "true"}}, {})
        assert not self._one({"Null": {"aws:SourceArn": "false"}}, {})

    def test_arn_operators_compare_part_by_part(self) -> None:
        cond = {"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:111111111111:trail/*"}}
        assert self._one(
            cond, {"aws:SourceArn": "arn:aws:cloudtrail:us-east-1:111111111111:trail/org"}
        )
        assert not self._one(
            cond, {"aws:SourceArn": "arn:aws:cloudtrail:us-east-1:999999999999:trail/org"}
        )
        assert not self._one(cond, {"aws:SourceArn": "not-an-arn"})
        with pytest.raises(UnsupportedPolicy, match="six parts"):
            self._one(
                {"ArnLike": {"aws:SourceArn": "arn:aws:logs:*"}},
                {"aws:SourceArn": "arn:aws:logs:a:b:c"},
            )

    def test_string_like_and_policy_variables(self) -> None:
        cond = {"StringLike": {"s3:prefix": "home/${aws:PrincipalAccount}/*"}}
        assert self._one(cond, {"s3:prefix": f"home/{DEV}/x"})
        assert not self._one(cond, {"s3:prefix": f"home/{PROD}/x"})

    def test_numeric(self) -> None:
        assert self._one({"NumericLessThan": {"s3:TlsVersion": "1.2"}}, {"s3:TlsVersion": "1.0"})
        assert not self._one(
            {"NumericLessThan": {"s3:TlsVersion": "1.2"}}, {"s3:TlsVersion": "1.3"}
        )

    def test_keys_are_case_insensitive(self) -> None:
        assert self._one({"StringEquals": {"AWS:SourceAccount": DEV}}, {"aws:sourceaccount": DEV})

    def test_set_qualifiers(self) -> None:
        any_of = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["Project"]}}
        assert self._one(any_of, {"aws:TagKeys": ["Owner", "Project"]})
        assert not self._one(any_of, {})
        all_of = {"ForAllValues:StringEquals": {"aws:TagKeys": ["Project", "Owner"]}}
        assert self._one(all_of, {"aws:TagKeys": ["Owner"]})
        assert not self._one(all_of, {"aws:TagKeys": ["Owner", "Other"]})
        assert self._one(all_of, {})  # documented: true when the key is absent

    def test_every_condition_block_must_match(self) -> None:
        cond = {
            "StringEquals": {"aws:SourceAccount": DEV},
            "ArnLike": {"aws:SourceArn": "arn:aws:logs:*:*:*"},
        }
        assert not self._one(cond, {"aws:SourceAccount": DEV})
        assert self._one(
            cond, {"aws:SourceAccount": DEV, "aws:SourceArn": "arn:aws:logs:eu-west-1:1:x"}
        )

    def test_unknown_operator_is_refused_not_guessed(self) -> None:
        with pytest.raises(UnsupportedPolicy, match="not implemented"):
            self._one(
                {"DateLessThan": {"aws:CurrentTime": "2030-01-01"}}, {"aws:CurrentTime": "2029"}
            )

    def test_multivalued_key_without_qualifier_is_refused(self) -> None:
        with pytest.raises(UnsupportedPolicy, match="ForAnyValue"):
            self._one({"StringEquals": {"aws:TagKeys": "a"}}, {"aws:TagKeys": ["a", "b"]})


class TestResolve:
    CTX = TemplateContext(
        account=DEV,
        region="eu-west-1",
        references={"Trail": "org-trail", "Key.Arn": KEY_ARN},
        stack_outputs={("innovate-dev-keys", "KeyArn"): KEY_ARN},
        exports={"innovate-dev-keys:KeyArn": KEY_ARN},
    )

    def test_import_value(self) -> None:
        assert resolve({"Fn::ImportValue": "innovate-dev-keys:KeyArn"}, self.CTX) == KEY_ARN
        with pytest.raises(UnsupportedPolicy, match="export"):
            resolve({"Fn::ImportValue": "innovate-dev-keys:Other"}, self.CTX)

    def test_join_sub_pseudo_parameters_and_references(self) -> None:
        value = {
            "Fn::Join": [
                "",
                [
                    "arn:",
                    {"Ref": "AWS::Partition"},
                    ":cloudtrail:",
                    {"Ref": "AWS::Region"},
                    ":",
                    {"Ref": "AWS::AccountId"},
                    ":trail/",
                    {"Ref": "Trail"},
                ],
            ]
        }
        assert resolve(value, self.CTX) == f"arn:aws:cloudtrail:eu-west-1:{DEV}:trail/org-trail"
        assert (
            resolve(
                {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"},
                self.CTX,
            )
            == f"arn:aws:logs:eu-west-1:{DEV}:*"
        )
        assert (
            resolve({"Fn::Sub": ["${K}/x", {"K": {"Fn::GetAtt": ["Key", "Arn"]}}]}, self.CTX)
            == f"{KEY_ARN}/x"
        )
        assert (
            resolve(
                {
                    "Fn::GetStackOutput": {
                        "StackName": "innovate-dev-keys",
                        "OutputName": "KeyArn",
                        "Region": "x",
                    }
                },
                self.CTX,
            )
            == KEY_ARN
        )

    def test_select_split(self) -> None:
        assert resolve({"Fn::Select": [1, {"Fn::Split": ["/", "a/b/c"]}]}, self.CTX) == "b"

    def test_unknown_references_are_refused(self) -> None:
        with pytest.raises(UnsupportedPolicy, match="Bucket"):
            resolve({"Ref": "Bucket"}, self.CTX)
        with pytest.raises(UnsupportedPolicy, match="Fn::If"):
            resolve({"Fn::If": ["C", 1, 2]}, self.CTX)

    def test_plain_objects_are_walked(self) -> None:
        policy = {"Statement": [{"Resource": {"Fn::GetAtt": ["Key", "Arn"]}, "Action": "kms:*"}]}
        assert resolve(policy, self.CTX) == {
            "Statement": [{"Resource": KEY_ARN, "Action": "kms:*"}]
        }
