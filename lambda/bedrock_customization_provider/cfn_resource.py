"""crhelper, configured and extended so none of its limits bite; it dispatches to the resource kinds.

This is the protocol side of every request, and the machinery of the short wait strategy (:mod:`.wait_modes`: the
strategy decides whether a started resource is answered now or polled). crhelper provides the protocol: the event in,
an EventBridge rule that re-invokes the function every poll interval, the response PUT at the end. On top of it:

- a result that is already final (bad input, tag-only update, nothing to delete) is answered at once, without
  setting up a poll and waiting an interval;
- rule names are ``bedrock-cr-poll-<stack GUID>-<hash>`` (<= 64 characters; the IAM policy is scoped to the stack's
  prefix), deterministic per request so a redelivered event reuses the rule; statement ids are the same (<= 100);
- the poll target's input is a slim event (no API properties), far below EventBridge's 8,192 characters; what a
  poll needs from the properties, the first invocation puts in the :class:`~.lifecycle.Pending` memo (CrHelperData);
- the poll target's input carries the presigned response URL only encrypted with the stack's KMS key, bound to its
  request (:mod:`.poll_secret`); a poll is decrypted before crhelper or the envelope check sees it, and one that does
  not decrypt is dropped;
- polling that cannot be set up after the resource was started (PutRule, AddPermission, PutTargets failing) gives
  the resource up at once (a job is stopped) and answers FAILED, instead of leaving a job nobody owns;
- reasons are cut at the END (crhelper keeps only the end), the response send is bounded, no 120 s sleep on delete;
- every poll checks :class:`~.waiting.ServiceTimeoutBudget` and gives up clearly before CloudFormation's limit; the
  budget starts when the resource began (the job's creationTime), so a redelivered request cannot extend it.

Decorated functions stay thin: parse the event, call the kind, translate the answer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from botocore.exceptions import ClientError
from crhelper import CfnResource, resource_helper
from crhelper.resource_helper import FAILED

from . import contract, naming, response, served_stack, wait_modes
from .clients import Clients
from .errors import (
    PollSecretError,
    PollTargetTooLargeError,
    ProviderError,
    RetriesExhaustedError,
    error_code,
    fit_reason,
    ignore_not_found,
    reason_for,
)
from .lifecycle import REQUEST_TYPES, Done, Pending, Request, ResourceKind, Step
from .poll_secret import PollSecret
from .waiting import ServiceTimeoutBudget

logger = logging.getLogger(__name__)

#: EventBridge's limits on a rule name and on a target's input.
MAX_RULE_NAME_LENGTH = 64
MAX_TARGET_INPUT_LENGTH = 8192
#: Room kept in a poll's input for what crhelper adds later (rule ARN, permission, StartedAt, a memo of a few ARNs).
POLL_INPUT_ROOM = 1536
#: crhelper's keys in the event and its Data.
_POLL_KEYS = ("CrHelperPoll", "CrHelperRule", "CrHelperPermission")
_STARTED_AT = "StartedAt"
_MEMO = "Memo"
_NOT_RULE_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")
#: ``bedrock-cr-poll-`` + a 36-character stack GUID + ``-``: 11 characters are left for the request's digest.
_MAX_POLL_PREFIX_LENGTH = len(contract.POLL_RULE_PREFIX) + 36 + 1

KindsFactory = Callable[[Any], Mapping[str, ResourceKind]]


class BedrockResource(CfnResource):
    """crhelper's CfnResource for the Bedrock resource kinds; ``kinds(context)`` gives them per invocation."""

    def __init__(
        self,
        *,
        kinds: KindsFactory,
        clients: Clients,
        poll_interval_minutes: int = 1,
        ssl_verify: bool | str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        with _crhelper_builds_no_clients():
            super().__init__(
                json_logging=False,
                log_level="INFO",
                boto_level="ERROR",
                polling_interval=poll_interval_minutes,
                sleep_on_delete=0,
                ssl_verify=ssl_verify,
            )
        self._clients = clients
        self._kinds = kinds
        self._timed_out = False
        self._clock = clock
        self._final = False
        for register in (self.create, self.update, self.delete):
            register(self._begin)
        for register in (self.poll_create, self.poll_update, self.poll_delete):
            register(self._poll)

    def __call__(self, event: Any, context: Any) -> None:
        """Validate the envelope before crhelper sees it: an event it cannot answer to its own URL is dropped (crhelper
        keeps state between invocations, and would send the FAILED to the previous request's URL), and a poll may
        only name its own rule (crhelper removes the rule and permission a poll names). A poll's response URL is
        decrypted first: one that does not decrypt for its own request is dropped the same way."""
        secret = self._poll_secret() if isinstance(event, Mapping) and "CrHelperPoll" in event else None
        if secret is not None:  # a poll: its KMS client is built now, not for every request
            try:
                event = secret.unseal(event)
            except PollSecretError as exc:
                logger.error("Ignored a poll whose response URL does not decrypt: %s", exc)
                return
        problem = envelope_problem(event, served_stack.served_stack())
        if problem is not None:
            logger.error("Ignored an event that cannot be answered: %s", problem)
            return
        self._timed_out = False
        super().__call__(event, context)

    # --- the decorated functions --------------------------------------------------------------------------------
    def _begin(self, event: Mapping[str, Any], context: Any) -> str:
        """First invocation of a request: validate, start, and answer now or arrange the polls."""
        self._final = False
        now = self._clock()
        try:
            request = Request.from_event(event)
            kind = self._kind(request, context)
            self._check_poll_input_fits(event)  # before anything starts: a poll that cannot be scheduled strands it
            if request.request_type != "Delete":
                budget = self._budget(request, now)
                if not budget.fits_one_poll():
                    raise ProviderError(f"Invalid properties: {budget.too_short_problem()}")
            if request.request_type == "Create":
                step: Step = kind.create(request)
            elif request.request_type == "Update":
                step = kind.update(request)
            else:
                step = kind.delete(request, {})
            step = wait_modes.answer(step, request, kind, self._strategies)
        except Exception as exc:  # every failure becomes a FAILED response with the right physical id
            step = Done(_first_failure_id(event, exc), failure=reason_for(exc))
        return self._answer(step, started_at=now)

    def _poll(self, event: Mapping[str, Any], context: Any) -> str | None:
        """A scheduled poll: None keeps waiting; a physical id ends the request."""
        self._final = False
        pending_id = self.Data.get("PhysicalResourceId", "")
        request = Request.from_event(event)
        step: Step
        try:
            kind = self._kind(request, context)
            if request.request_type == "Delete":
                step = kind.delete(request, self._memo)
            else:
                step = kind.check(request, pending_id, self._memo)
        except RetriesExhaustedError as exc:  # Bedrock is busy: try again at the next poll
            logger.warning("Poll skipped: %s", exc)
            step = Pending(pending_id)
        except Exception as exc:
            step = Done(_poll_failure_id(request, pending_id), failure=reason_for(exc))
        started_at = float(self.Data.get(_STARTED_AT, self._clock()))
        if isinstance(step, Pending) and step.began_at is not None:
            started_at = min(started_at, step.began_at)  # a redelivered request must not restart the budget
        budget = self._budget(request, started_at)
        if isinstance(step, Pending) and budget.exhausted(self._clock()):
            step = self._give_up(request, pending_id, budget.reason(), context)
        if isinstance(step, Pending):
            logger.info("%s %s not final yet; next poll in %d min", request.request_type, pending_id, self._interval)
            return None
        return self._answer(step, started_at=0)

    def _check_poll_input_fits(self, event: Mapping[str, Any]) -> None:
        poll = slim_event(event)
        if self._poll_key_arn() is not None:
            poll = PollSecret.stand_in(poll)  # the response URL as its ciphertext will be, at its largest
        size = len(json.dumps(poll))
        if size + POLL_INPUT_ROOM > MAX_TARGET_INPUT_LENGTH:
            raise PollTargetTooLargeError(
                f"Invalid request: its poll event would be {size} characters plus up to {POLL_INPUT_ROOM} of the "
                f"provider's own, over EventBridge's {MAX_TARGET_INPUT_LENGTH} for a target's input (a very long "
                f"logical id or stack id?); nothing was started."
            )

    # --- helpers ------------------------------------------------------------------------------------------------
    @property
    def kms_client(self) -> Any:
        """The KMS client that seals poll inputs."""
        return self._clients.kms

    # crhelper's constructor assigns these two names and its poll methods (all overridden here) read them; ours
    # come from ``clients``, built on first use; crhelper's assignment (None: _crhelper_builds_no_clients) is ignored.
    @property
    def _events_client(self) -> Any:
        return self._clients.events

    @_events_client.setter
    def _events_client(self, _ignored: Any) -> None:
        pass

    @property
    def _lambda_client(self) -> Any:
        return self._clients.lambda_

    @_lambda_client.setter
    def _lambda_client(self, _ignored: Any) -> None:
        pass

    @functools.cached_property
    def _strategies(self) -> Mapping[str, wait_modes.WaitStrategy]:
        return wait_modes.strategies(self._clients.events)

    @staticmethod
    def _poll_key_arn() -> str | None:
        """The stack's poll key (:data:`~.contract.ENV_POLL_KEY_ARN`); None for a template from before it."""
        return os.environ.get(contract.ENV_POLL_KEY_ARN) or None

    def _poll_secret(self) -> PollSecret | None:
        """What seals and unseals poll inputs with the poll key (its KMS client is built here: only requests that
        poll need it)."""
        key_arn = self._poll_key_arn()
        return PollSecret(self.kms_client, key_arn) if key_arn else None

    @property
    def _memo(self) -> Mapping[str, Any]:
        """The memo of the Pending this request answered (crhelper carries it in every poll's CrHelperData)."""
        return self.Data.get(_MEMO) or {}

    @property
    def _interval(self) -> int:
        return int(self._polling_interval)

    def _kind(self, request: Request, context: Any) -> ResourceKind:
        kinds = self._kinds(context)
        if request.resource_type not in kinds:
            raise ProviderError(f"Unsupported resource type {request.resource_type}: use one of {', '.join(kinds)}")
        return kinds[request.resource_type]

    def _budget(self, request: Request, started_at: float) -> ServiceTimeoutBudget:
        return ServiceTimeoutBudget(request.service_timeout, started_at, self._interval * 60)

    def _give_up(self, request: Request, pending_id: str, why: str, context: Any) -> Done:
        """Waiting ends before the resource is final: the kind stops what it can; FAILED with ``why``."""
        if request.request_type == "Delete":
            return Done(request.physical_id, failure=f"Deletion not finished: {why} Retry the deletion later.")
        try:
            return self._kind(request, context).give_up(request, pending_id, why, self._memo)
        except Exception as exc:
            return Done(_poll_failure_id(request, pending_id), failure=reason_for(exc))

    def _answer(self, step: Step, *, started_at: float) -> str:
        """Translate a step into crhelper's state: the physical id it returns, Data, Status and Reason."""
        if isinstance(step, Pending):
            # crhelper adds PhysicalResourceId and puts Data in every poll's event (CrHelperData)
            began = started_at if step.began_at is None else min(started_at, step.began_at)
            self.Data = {_STARTED_AT: int(began)}
            if step.memo:
                self.Data[_MEMO] = dict(step.memo)
            return step.physical_id
        self._final = True
        self.Data = dict(step.attributes)
        if step.failure is not None:
            self.Status = FAILED
            self.Reason = fit_reason(step.failure)
            logger.error("FAILED: %s", self.Reason)
        return step.physical_id

    # --- crhelper overrides -------------------------------------------------------------------------------------
    def _get_func(self) -> Callable[[Mapping[str, Any], Any], str | None]:
        """crhelper picks the function by the lowercased RequestType; anything but the exact three gets
        :meth:`_begin`, which answers FAILED saying why and calls nothing."""
        if self._event.get("RequestType") not in REQUEST_TYPES:
            return self._begin
        return super()._get_func()

    def _poll_enabled(self) -> bool:
        """No polls for a request type CloudFormation never sends: its FAILED answer goes out at once."""
        return self._event.get("RequestType") in REQUEST_TYPES and super()._poll_enabled()

    def _polling_init(self, event: dict) -> None:
        if "CrHelperPoll" in event:
            super()._polling_init(event)
        elif self._final:
            self._send_response = True  # already final: answer now, no poll, no interval of waiting
        else:
            try:
                super()._polling_init(event)  # PutRule, AddPermission, PutTargets
            except Exception as exc:
                self._polling_failed(exc)

    def _polling_failed(self, exc: BaseException) -> None:
        """Polls could not be scheduled, but the resource was started: give it up now and answer FAILED.

        Otherwise crhelper answers FAILED without a physical id we chose, and a job started by a replacing Update
        would keep training with nothing that owns it. The reason begins with the cause.
        """
        cause = reason_for(exc)
        logger.error("Could not schedule the polls: %s", cause)
        pending_id = self.Data.get("PhysicalResourceId", "")
        try:
            self._remove_polling()  # whatever part was set up (each removal tolerates what is missing)
        except Exception as cleanup:
            logger.warning("Could not remove the poll rule: %s", reason_for(cleanup))
        request = Request.from_event(self._event)
        why = "the provider could not schedule its polls (EventBridge rule, Lambda permission, target)."
        given_up = self._give_up(request, pending_id, why, self._context)
        self.PhysicalResourceId = self._answer(
            dataclasses.replace(given_up, failure=f"{cause} {given_up.failure}"), started_at=0
        )
        self._send_response = True

    def _rule_name(self) -> str:
        return rule_name_for(self._event)

    def _put_rule(self) -> str:
        unit = "minute" if self._interval == 1 else "minutes"
        answer = self._events_client.put_rule(
            Name=self._rule_name(),
            ScheduleExpression=f"rate({self._interval} {unit})",
            State="ENABLED",
            Description=f"crhelper polls for {self._event['LogicalResourceId']}"[:512],
        )
        return answer["RuleArn"]

    def _add_permission(self, rule_arn: str) -> str:
        statement_id = self._rule_name()
        try:
            self._lambda_client.add_permission(
                FunctionName=self._context.function_name,
                StatementId=statement_id,
                Action="lambda:InvokeFunction",
                Principal="events.amazonaws.com",
                SourceArn=rule_arn,
            )
        except ClientError as exc:  # a redelivered event: the same statement is already there
            if error_code(exc) != "ResourceConflictException":
                raise
        return statement_id

    def _put_targets(self, func_name: str) -> None:
        poll = slim_event(self._event)
        secret = self._poll_secret()
        if secret is not None:
            poll = secret.seal(poll)  # anyone allowed events:ListTargetsByRule reads the input: no URL in the clear
        payload = json.dumps(poll)
        if len(payload) > MAX_TARGET_INPUT_LENGTH:
            raise PollTargetTooLargeError(
                f"Poll event is {len(payload)} characters, over EventBridge's {MAX_TARGET_INPUT_LENGTH}"
            )
        rule_arn = self._event["CrHelperRule"]
        partition, region, account = rule_arn.split(":")[1], rule_arn.split(":")[3], rule_arn.split(":")[4]
        self._events_client.put_targets(
            Rule=rule_arn.split("/")[-1],
            Targets=[
                {"Id": "1", "Arn": f"arn:{partition}:lambda:{region}:{account}:function:{func_name}", "Input": payload}
            ],
        )

    def _remove_targets(self, rule_arn: str) -> None:
        ignore_not_found(self._events_client.remove_targets, Rule=rule_arn.split("/")[-1], Ids=["1"])

    def _remove_permission(self, sid: str) -> None:
        function = self._context.function_name
        ignore_not_found(self._lambda_client.remove_permission, FunctionName=function, StatementId=sid)

    def _delete_rule(self, rule_arn: str) -> None:
        ignore_not_found(self._events_client.delete_rule, Name=rule_arn.split("/")[-1])

    def _timeout(self) -> None:
        """crhelper's timer, half a second before the Lambda's timeout: answer FAILED with a physical id the rollback
        acts on (crhelper's own answer has an empty one, so CloudFormation would delete nothing and a job Bedrock
        accepted would train on, unowned), and send nothing after it."""
        event = self._event
        pending = self.Data.get("PhysicalResourceId") if event.get("CrHelperPoll") else None
        if event.get("RequestType") == "Create":
            self.PhysicalResourceId = pending or contract.UNCERTAIN_CREATE_PHYSICAL_ID
        else:
            self.PhysicalResourceId = event.get("PhysicalResourceId") or contract.UNCERTAIN_CREATE_PHYSICAL_ID
        logger.error("The function is about to time out: answering FAILED for %s", self.PhysicalResourceId)
        self._send(
            FAILED,
            "The provider ran out of Lambda time before Bedrock answered; the rollback stops or deletes whatever this "
            "request started.",
        )
        self._timed_out = True

    def _send(self, status: str | None = None, reason: str = "", send_response: Callable = response.send) -> None:
        if self._timed_out:  # answered already: CloudFormation keeps only the first answer
            logger.warning("Not answering again after the timeout answer")
            return
        self.Reason = fit_reason(self.Reason) if self.Reason else self.Reason
        super()._send(status, fit_reason(reason) if reason else reason, send_response=send_response)


#: What every CloudFormation request carries, as non-empty strings; without them it cannot be answered.
ENVELOPE_KEYS = ("ResponseURL", "StackId", "RequestType", "RequestId", "LogicalResourceId", "ResourceType")


def envelope_problem(event: Any, served: str | None = None) -> str | None:
    """Why ``event`` cannot be answered to its own response URL, or is not this provider's to answer (None when it
    can). ``served``: the stack the function serves (:func:`.served_stack.served_stack`: a stack id or a
    ``.../stack/<name>/*`` pattern); None when unknown (an older template)."""
    if not isinstance(event, Mapping):
        return f"not a JSON object ({type(event).__name__})"
    missing = [key for key in ENVELOPE_KEYS if not isinstance(event.get(key), str) or not event.get(key)]
    if missing:
        return f"{', '.join(missing)} missing or not a string"
    if not str(event["ResponseURL"]).startswith("https://"):
        return "ResponseURL is not an https:// URL"
    if served and not served_stack.serves(served, event["StackId"]):
        return f"StackId {str(event['StackId'])[:200]} is not the stack this function serves"
    for key in ("ResourceProperties", "OldResourceProperties"):
        if key in event and not isinstance(event[key], Mapping):
            return f"{key} is not an object"
    if "CrHelperPoll" in event:
        own = rule_name_for(event)
        rule = event.get("CrHelperRule")
        if not isinstance(rule, str) or rule.rsplit("/", 1)[-1] != own or event.get("CrHelperPermission") != own:
            return f"a poll naming a rule or permission other than its own ({own})"
    return None


@contextlib.contextmanager
def _crhelper_builds_no_clients() -> Iterator[None]:
    """While crhelper's constructor runs, its ``boto3.client`` builds nothing.

    crhelper 2.0.12's constructor always builds lambda, events and logs clients with its own default session: three
    service models parsed on every cold start (about a third of it), for clients this subclass never uses (its poll
    methods, all overridden, use :class:`~.clients.Clients`, built on first use; logs is never used). Copying the
    whole constructor to avoid that would drift from crhelper; standing in for its ``boto3`` for the duration of the
    call does not.
    """

    class _NoClients:
        @staticmethod
        def client(*_args: Any, **_kwargs: Any) -> None:
            return None

    real = resource_helper.boto3
    resource_helper.boto3 = _NoClients
    try:
        yield
    finally:
        resource_helper.boto3 = real


def rule_name_for(event: Mapping[str, Any]) -> str:
    """The poll rule of one request: ``bedrock-cr-poll-<stack GUID>-<digest of stack, logical id, request id>``.

    The GUID of the function's own stack (:func:`.served_stack.own_stack_id`, the request's stack unless the function
    is a provider stack serving another) makes the prefix the function's own (:func:`~.contract.poll_rule_prefix`):
    its role may put and delete ``rule/bedrock-cr-poll-<GUID>-*`` only, never another provider's rules. That leaves
    no room for the logical id in the name (64 characters): the rule's description carries it.
    """
    own_prefix = contract.poll_rule_prefix(served_stack.own_stack_id(event["StackId"]))
    prefix = _NOT_RULE_CHARS.sub("-", own_prefix)[:_MAX_POLL_PREFIX_LENGTH]
    digest = naming.request_digest(event["StackId"], event["LogicalResourceId"], event["RequestId"], "poll")
    return prefix + digest[: MAX_RULE_NAME_LENGTH - len(prefix)]


def slim_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event a poll needs: no API properties (they may be large: 50 tags, long filters), provider keys kept."""
    slim = {k: v for k, v in event.items() if k != "OldResourceProperties"}
    properties = event.get("ResourceProperties") or {}
    slim["ResourceProperties"] = {k: v for k, v in properties.items() if k in contract.PROVIDER_KEYS}
    return slim


def _first_failure_id(event: Mapping[str, Any], exc: BaseException | None = None) -> str:
    """A failed Create started nothing (sentinel), unless Bedrock may have accepted it (retries ran out: then the
    rollback's Delete must look for it); a failed Update/Delete keeps the resource's id."""
    if event.get("RequestType") == "Create":
        if isinstance(exc, RetriesExhaustedError) and exc.uncertain:
            return contract.UNCERTAIN_CREATE_PHYSICAL_ID
        return contract.FAILED_CREATE_PHYSICAL_ID
    return event.get("PhysicalResourceId") or contract.FAILED_CREATE_PHYSICAL_ID


def _poll_failure_id(request: Request, pending_id: str) -> str:
    """While creating, keep the new resource's id so the Delete that follows cleans it up."""
    if request.request_type == "Create":
        return pending_id or contract.FAILED_CREATE_PHYSICAL_ID
    return request.physical_id
