"""The generated Python bindings, driven as an app would drive them.

A probe and a device signer are implemented here in Python and handed to
the Rust agent: the probe's readings cross in and the core's posture comes
back (and crosses again into evaluate and sign_report), Rust signs a
report through the Python key and verifies it, errors arrive as typed
exceptions, the async path runs on asyncio, and two threads call at once.
The agent operations run against the reference collector, started once per
session as a real process (`posture-agent serve`, see conftest.py).
"""

import asyncio
import base64
import copy
import datetime
import json
import tempfile
import threading

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

import posture_agent as pa

NONCE = "nonce-for-the-bindings-test-0001"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class PythonSigner(pa.DeviceSigner):
    """A software P-256 key standing in for a hardware one."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.signatures = []
        self.fresh_challenges = []

    def public_jwk(self):
        numbers = self.key.public_key().public_numbers()
        return pa.PublicJwk(
            kty="EC",
            crv="P-256",
            x=b64url(numbers.x.to_bytes(32, "big")),
            y=b64url(numbers.y.to_bytes(32, "big")),
        )

    def sign(self, message):
        der = self.key.sign(bytes(message), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        # JOSE wants r ‖ s, each left-padded to 32 bytes: a short r or s
        # (about 1 in 128 signatures) must keep its leading zero bytes.
        raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        self.signatures.append(raw)
        return raw

    def key_attestation(self):
        return []

    def fresh_key_attestation(self, challenge):
        self.fresh_challenges.append(bytes(challenge))
        return []

    def app_attest(self, client_data_hash):
        return None

    def app_attest_assertion(self, client_data_hash):
        return None

    def delete(self):
        self.deleted = True

    deleted = False


class FailingSigner(pa.DeviceSigner):
    def public_jwk(self):
        raise pa.PostureAgentError.Key("the keystore is locked")

    def sign(self, message):
        raise pa.PostureAgentError.Key("the keystore is locked")

    def key_attestation(self):
        raise pa.PostureAgentError.Key("the keystore is locked")

    def fresh_key_attestation(self, challenge):
        raise pa.PostureAgentError.Key("the keystore is locked")

    def app_attest(self, client_data_hash):
        raise pa.PostureAgentError.Key("the keystore is locked")

    def app_attest_assertion(self, client_data_hash):
        raise pa.PostureAgentError.Key("the keystore is locked")

    def delete(self):
        raise pa.PostureAgentError.Key("the keystore is locked")


def read(value):
    return pa.Reading.READ(value=value)


def android_readings(**changes):
    """What a patched, locked Pixel on Android 14 gives an app, value by value."""
    values = dict(
        reader=pa.AndroidReader.APP,
        release=read("14"),
        sdk=read("34"),
        build_id=read("UP1A.231005.007"),
        build_type=read("user"),
        build_tags=read("release-keys"),
        security_patch=read("2026-10-05"),
        debuggable=read("0"),
        crypto_state=pa.Reading.NOT_READ(),
        crypto_type=pa.Reading.NOT_READ(),
        verified_boot_state=pa.Reading.NOT_READ(),
        flash_locked=pa.Reading.NOT_READ(),
        encryption_status=read("5"),
        device_secure=read("true"),
        lock_screen_disabled=pa.Reading.NOT_READ(),
        screen_off_timeout=read("60000"),
        lock_after_timeout=read("5000"),
        adb_enabled=read("0"),
        development_settings_enabled=read("0"),
        su_paths_found=read(""),
        strong_box=read("true"),
        hardware_keystore=read("true"),
    )
    values.update(changes)
    return pa.AndroidReadings(**values)


PLAY = pa.IntegrityIndicator(
    name="play_integrity_device",
    kind=pa.IndicatorKind.PLATFORM_ATTESTATION,
    tripped=pa.FactBool.OBSERVED(value=False, source="Play Integrity (verified by the app's server)"),
)


def untimed(posture):
    """The posture without its collection time, which the core stamps."""
    posture = copy.copy(posture)
    posture.collected_at = None
    return posture


class PythonProbe(pa.PlatformProbe):
    """An Android app's probe: raw readings only, as the shim takes them."""

    def __init__(self):
        self.calls = 0
        self.lock = threading.Lock()

    def platform(self):
        return pa.Platform.ANDROID

    def collect(self):
        with self.lock:
            self.calls += 1
        return pa.PlatformReadings.ANDROID(readings=android_readings(), attested=[PLAY])

    def posture(self):
        """The posture the core maps these readings to (time aside)."""
        return untimed(pa.android_posture(android_readings(), [PLAY]))


class IosProbe(pa.PlatformProbe):
    """An iOS app's probe: a phone with a passcode, nothing jailbroken."""

    def platform(self):
        return pa.Platform.IOS

    def collect(self):
        return pa.PlatformReadings.IOS(
            readings=pa.IosReadings(
                system_name=read("iOS"),
                system_version=read("17.6.1"),
                build=read("21G93"),
                kernel=read("23.6.0"),
                device_owner_auth=read("true"),
                device_owner_auth_error=pa.Reading.NOT_SET(),
                secure_enclave_available=read("true"),
                simulator=read("false"),
                jailbreak_paths_found=read("\n".join(pa.ios_jailbreak_paths()[:1])),
                sandbox_write=read("false"),
                cydia_scheme_declared=read("false"),
                cydia_url_scheme=pa.Reading.NOT_READ(),
            )
        )


class ThrowingProbe(PythonProbe):
    def collect(self):
        raise pa.PostureAgentError.Platform("the settings provider is gone")


@pytest.fixture
def storage_dir():
    with tempfile.TemporaryDirectory() as d:
        yield d


@pytest.fixture
def probe():
    return PythonProbe()


@pytest.fixture
def signer():
    return PythonSigner()


@pytest.fixture
def agent(storage_dir, probe, signer):
    return pa.PostureAgent(storage_dir, probe=probe, signer=signer)


def test_a_foreign_probes_readings_become_the_cores_posture(agent, probe):
    before = datetime.datetime.now(datetime.timezone.utc)
    posture = agent.collect()
    after = datetime.datetime.now(datetime.timezone.utc)
    assert probe.calls == 1
    assert untimed(posture) == probe.posture()
    assert posture.security_patch == pa.FactSecurityPatch.OBSERVED(
        value="2026-10-05", source="Build.VERSION.SECURITY_PATCH"
    )
    assert posture.os.version == pa.FactText.OBSERVED(
        value="14", source="Build.VERSION.RELEASE (SDK_INT 34)"
    )
    assert posture.integrity[-1] == PLAY
    assert posture.auto_lock.value == pa.AutoLock.AFTER(seconds=65)
    assert before - datetime.timedelta(seconds=1) <= posture.collected_at <= after + datetime.timedelta(seconds=1)


def test_an_ios_probes_readings_map_to_a_locked_encrypted_phone(storage_dir):
    agent = pa.PostureAgent(storage_dir, probe=IosProbe())
    posture = agent.collect()
    assert posture.platform == pa.Platform.IOS
    assert posture.os.version == pa.FactText.OBSERVED(
        value="17.6.1", source="UIDevice.current.systemVersion"
    )
    assert posture.screen_lock.value == pa.ScreenLock.SET
    assert posture.storage_encryption.value == pa.StorageEncryption.ENCRYPTED(method="Data Protection")
    assert posture.hardware_key_store.value == pa.HardwareKeyStore.SECURE_ENCLAVE
    tripped = {i.name: i.tripped for i in posture.integrity}
    assert tripped["cydia_app"] == pa.FactBool.OBSERVED(
        value=True, source="/Applications/Cydia.app exists"
    )
    assert isinstance(tripped["cydia_url_scheme"], pa.FactBool.UNKNOWN)
    assert pa.ios_sandbox_probe_path().startswith("/private/")
    outcomes = {f.rule: f.outcome for f in agent.evaluate(posture, pa.default_policy()).findings}
    assert outcomes[pa.RuleId.SCREEN_LOCK] == pa.Outcome.PASS


def test_the_default_policy_evaluates_a_posture_from_python(agent):
    policy = pa.default_policy()
    assert policy.rules.security_patch is not None
    verdict = agent.evaluate(agent.collect(), policy)
    assert verdict.policy.name == policy.name
    outcomes = {f.rule: f.outcome for f in verdict.findings}
    assert outcomes[pa.RuleId.STORAGE_ENCRYPTION] == pa.Outcome.PASS
    assert outcomes[pa.RuleId.SCREEN_LOCK] == pa.Outcome.PASS
    assert verdict.evaluated_at.tzinfo is not None


def test_a_failing_check_comes_back_with_its_remediation(agent):
    posture = agent.collect()
    posture.developer_mode = pa.FactBool.OBSERVED(value=True, source="Settings.Global")
    verdict = agent.evaluate(posture, pa.default_policy())
    failing = [f for f in verdict.findings if f.rule == pa.RuleId.DEVELOPER_MODE]
    assert failing and failing[0].outcome in (pa.Outcome.FAIL, pa.Outcome.WARN)
    assert "developer" in failing[0].remediation.lower()
    assert verdict.compliance != pa.Compliance.COMPLIANT


def test_the_privacy_inventory_and_a_welsh_remediation(agent, probe):
    with tempfile.TemporaryDirectory() as d:
        welsh = pa.PostureAgent(d, probe=probe, locale="cy-GB")
        assert welsh.locale() == pa.Locale.CY
        inventory = welsh.privacy_inventory()
        assert inventory.locale == pa.Locale.CY
        jwk = [f for f in inventory.fields if f.payload == pa.Payload.ENROL and f.path == "jwk"]
        assert jwk and jwk[0].category == pa.DataCategory.PUBLIC_KEY
        assert "lleoliad" in inventory.never_collected
        posture = welsh.collect()
        posture.developer_mode = pa.FactBool.OBSERVED(value=True, source="Settings.Global")
        verdict = welsh.evaluate(posture, pa.default_policy())
        finding = [f for f in verdict.findings if f.rule == pa.RuleId.DEVELOPER_MODE][0]
        assert finding.remediation.startswith("Trowch yr opsiynau datblygwr i ffwrdd"), finding.remediation
        assert welsh.rule_name(pa.RuleId.DEVELOPER_MODE) == "modd datblygwr"
        # What the finding observed and requires, and the quiet-hours words.
        assert finding.observed == "modd datblygwr ymlaen", finding.observed
        assert finding.requirement == "modd datblygwr i ffwrdd", finding.requirement
        assert welsh.outcome_label(finding.outcome) == "METHU"
        assert welsh.notify_reason_text(pa.NotifyReason.WITHIN_WORKING_HOURS) == "o fewn eich oriau gwaith"
        # A reason for Unknown: English in the posture (as the wire carries
        # it), Welsh on screen; a formatted one keeps the setting's name.
        assert isinstance(posture.os.kernel, pa.FactText.UNKNOWN)
        assert posture.os.kernel.reason == "not collected on Android: no policy rule uses it"
        assert welsh.reason_text(posture.os.kernel.reason) == (
            "heb ei gasglu ar Android: nid oes rheol polisi yn ei ddefnyddio"
        )
        assert welsh.reason_text("Settings.Global.ADB_ENABLED is not set") == (
            "Settings.Global.ADB_ENABLED: heb ei osod"
        )
        posture.usb_debugging = pa.FactBool.UNKNOWN(reason="Settings.Global.ADB_ENABLED is not set")
        verdict = welsh.evaluate(posture, pa.default_policy())
        usb = [f for f in verdict.findings if f.rule == pa.RuleId.USB_DEBUGGING][0]
        assert usb.observed == "anhysbys: Settings.Global.ADB_ENABLED: heb ei osod", usb.observed
        # The same fields in English, from an agent without a locale.
        english = agent.privacy_inventory()
        assert english.locale == pa.Locale.EN
        assert [f.path for f in english.fields] == [f.path for f in inventory.fields]


def test_a_rules_strategy_shows_in_the_verdict(agent):
    posture = agent.collect()
    # What the other rules make of this phone, developer mode off.
    baseline = agent.evaluate(posture, pa.default_policy()).compliance
    posture.developer_mode = pa.FactBool.OBSERVED(value=True, source="Settings.Global")
    policy = pa.default_policy()
    policy.rules.developer_mode.strategy = pa.Strategy.REPORT_ONLY
    verdict = agent.evaluate(posture, policy)
    dev = [f for f in verdict.findings if f.rule == pa.RuleId.DEVELOPER_MODE][0]
    assert dev.strategy == pa.Strategy.REPORT_ONLY
    assert dev.outcome == pa.Outcome.FAIL
    assert verdict.compliance == baseline, "a report-only failure never counts"
    policy.rules.developer_mode.strategy = pa.Strategy.NOTIFY_ONLY
    verdict = agent.evaluate(posture, policy)
    dev = [f for f in verdict.findings if f.rule == pa.RuleId.DEVELOPER_MODE][0]
    assert dev.outcome == pa.Outcome.WARN and dev.deadline is None
    assert verdict.compliance != pa.Compliance.COMPLIANT
    if baseline == pa.Compliance.COMPLIANT:
        assert verdict.compliance == pa.Compliance.WARNING


def test_should_notify_follows_the_working_hours_with_a_fixed_clock(agent):
    utc = datetime.timezone.utc

    async def flow():
        none = await agent.should_notify()
        assert none.notify and none.reason == pa.NotifyReason.NO_WORKING_HOURS
        # A night-shift nurse in London.
        await agent.set_working_hours("19:00", "07:30", "Europe/London")
        hours = await agent.working_hours()
        assert (hours.start, hours.end, hours.time_zone) == ("19:00", "07:30", "Europe/London")
        # 29 March 2026, 00:30 UTC: before the clocks go forward, on shift.
        night = await agent.should_notify_at(datetime.datetime(2026, 3, 29, 0, 30, tzinfo=utc))
        assert night.notify and night.reason == pa.NotifyReason.WITHIN_WORKING_HOURS
        # By morning London is on BST (UTC+1): the shift ends 06:30 UTC.
        assert night.quiet_from == datetime.datetime(2026, 3, 29, 6, 30, tzinfo=utc)
        day = await agent.should_notify_at(datetime.datetime(2026, 7, 14, 12, 0, tzinfo=utc))
        assert not day.notify and day.reason == pa.NotifyReason.OUTSIDE_WORKING_HOURS
        assert day.next_allowed == datetime.datetime(2026, 7, 14, 18, 0, tzinfo=utc)
        with pytest.raises(pa.PostureAgentError.InvalidInput) as caught:
            await agent.set_working_hours("19:00", "07:30", "Mars/Olympus_Mons")
        assert "time zone" in str(caught.value)
        await agent.clear_working_hours()
        assert await agent.working_hours() is None

    asyncio.run(flow())


def test_rust_signs_with_the_python_key_and_verifies_leading_zero_signatures(agent, signer):
    posture = agent.collect()
    verdict = agent.evaluate(posture, pa.default_policy())
    jwk = signer.public_jwk()
    assert agent.public_jwk() == jwk
    leading_zero = 0
    for i in range(3000):
        token = agent.sign_report(NONCE, "device-123", posture, verdict)
        raw = signer.signatures[-1]
        report = pa.verify_report(token, jwk, NONCE)
        assert report.device_id == "device-123"
        assert report.nonce == NONCE
        if raw[0] == 0 or raw[32] == 0:
            leading_zero += 1
            assert report.posture == posture
            assert report.verdict == verdict
            if leading_zero >= 2:
                break
    assert leading_zero >= 2, "no r or s with a leading zero byte in 3000 signatures"


def test_a_token_for_another_nonce_is_rejected_as_a_typed_error(agent, signer):
    posture = agent.collect()
    token = agent.sign_report(NONCE, "device-123", posture, agent.evaluate(posture, pa.default_policy()))
    with pytest.raises(pa.PostureAgentError.InvalidInput) as caught:
        pa.verify_report(token, signer.public_jwk(), "another-nonce-entirely")
    assert "nonce" in caught.value.reason


def test_a_bad_argument_arrives_as_a_typed_python_exception(probe):
    with pytest.raises(pa.PostureAgentError.InvalidInput) as caught:
        pa.PostureAgent("relative/dir", probe=probe)
    assert "absolute" in caught.value.reason
    with pytest.raises(pa.PostureAgentError.InvalidInput):
        pa.PostureAgent("", probe=probe)


def test_a_short_nonce_is_invalid_input(agent):
    posture = agent.collect()
    verdict = agent.evaluate(posture, pa.default_policy())
    with pytest.raises(pa.PostureAgentError.InvalidInput):
        agent.sign_report("short", "device-123", posture, verdict)


def test_a_python_signer_error_arrives_as_a_key_error(storage_dir, probe):
    agent = pa.PostureAgent(storage_dir, probe=probe, signer=FailingSigner())
    posture = agent.collect()
    verdict = agent.evaluate(posture, pa.default_policy())
    with pytest.raises(pa.PostureAgentError.Key) as caught:
        agent.sign_report(NONCE, "device-123", posture, verdict)
    assert "keystore is locked" in caught.value.reason


def test_signing_without_a_signer_is_a_key_error(storage_dir, probe):
    agent = pa.PostureAgent(storage_dir, probe=probe)
    posture = agent.collect()
    with pytest.raises(pa.PostureAgentError.Key):
        agent.sign_report(NONCE, "d", posture, agent.evaluate(posture, pa.default_policy()))


def test_a_throwing_probe_gives_an_all_unknown_posture(storage_dir):
    agent = pa.PostureAgent(storage_dir, probe=ThrowingProbe())
    posture = agent.collect()
    assert posture.platform == pa.Platform.ANDROID
    assert isinstance(posture.os.version, pa.FactText.UNKNOWN)
    assert "settings provider is gone" in posture.os.version.reason


def test_the_async_collect_runs_on_asyncio(agent, probe):
    async def both():
        return await asyncio.gather(agent.collect_async(), agent.collect_async())

    first, second = asyncio.run(both())
    assert untimed(first) == untimed(second) == probe.posture()


def test_two_python_threads_call_at_once(agent, probe, signer):
    posture = agent.collect()
    verdict = agent.evaluate(posture, pa.default_policy())
    jwk = signer.public_jwk()
    errors, tokens = [], []
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            for _ in range(50):
                agent.collect()
                tokens.append(agent.sign_report(NONCE, "device-123", posture, verdict))
        except Exception as e:  # reported below, with the thread's error
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert len(tokens) == 100
    for token in tokens:
        pa.verify_report(token, jwk, NONCE)


class Recorder(pa.StatusListener):
    def __init__(self):
        self.seen = []

    def on_status(self, status):
        self.seen.append(status)


def test_a_listener_registers_and_its_handle_unregisters(agent):
    handle = agent.register_listener(Recorder())
    handle.unregister()
    handle.unregister()
    del handle


# --- the agent operations, against the reference collector ---------------


def test_enrol_check_in_preview_and_unenrol_against_the_collector(
    collector, storage_dir, probe, signer
):
    agent = pa.PostureAgent(storage_dir, probe=probe, signer=signer)
    recorder = Recorder()
    handle = agent.register_listener(recorder)

    async def flow():
        before = await agent.status()
        assert before.state == pa.AgentState.UNENROLLED
        assert before.device_id is None

        enrolled = await agent.enrol(collector.url, collector.take_code())
        assert enrolled.state == pa.AgentState.ENROLLED
        assert enrolled.server_url == collector.url
        assert enrolled.device_id
        assert enrolled.kid
        assert recorder.seen and recorder.seen[-1].state == pa.AgentState.ENROLLED

        outcome = await agent.check_in()
        assert outcome.fresh_nonce
        assert outcome.delivery.delivered == 1
        assert outcome.delivery.rejected == []
        assert outcome.delivery.error is None
        server = outcome.status.verdicts.server
        assert server is not None
        assert server.freshness == pa.Freshness.CURRENT
        assert server.verdict.compliance == outcome.local_verdict.compliance
        assert outcome.status.verdicts.local == outcome.local_verdict

        status = await agent.status()
        assert status.state == pa.AgentState.ENROLLED
        assert status.device_id == enrolled.device_id
        assert status.queued_reports == 0
        assert status.last_checkin_at is not None
        assert status.policy is not None
        assert recorder.seen[-1] == status

        # The collector's attestation result, kept from the ack: the
        # summary in the status, the token itself only on request.
        summary = status.attestation
        assert summary is not None
        expected_status = {
            pa.Compliance.COMPLIANT: pa.EarStatus.AFFIRMING,
            pa.Compliance.WARNING: pa.EarStatus.WARNING,
            pa.Compliance.NON_COMPLIANT: pa.EarStatus.CONTRAINDICATED,
        }[server.verdict.compliance]
        assert summary.status == expected_status
        assert summary.assurance == pa.AssuranceLevel.SELF_REPORTED
        assert summary.expires_at > summary.issued_at
        token = await agent.compliance_token()
        assert isinstance(token, pa.ComplianceToken.AVAILABLE), token
        assert token.summary == summary
        jwt = token.token.expose()
        # Printing the answer, as a careless log line would, shows no token.
        assert jwt.split(".")[1] not in repr(token) + str(token)
        header, claims, signature = jwt.split(".")
        assert len(base64.urlsafe_b64decode(signature + "==")) == 64
        claims = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
        assert claims["sub"] == enrolled.device_id
        assert claims["cnf"]["jkt"] == enrolled.kid
        assert claims["eat_profile"] == "tag:github.com,2023:veraison/ear"
        assert jwt not in repr(status)

        preview = await agent.preview_report()
        payload = json.loads(preview.payload)
        assert payload["sub"] == enrolled.device_id
        assert payload["posture"]["platform"] == "android"
        assert payload["posture"]["security_patch"]["value"] == "2026-10-05"
        assert untimed(preview.posture) == probe.posture()
        assert preview.nonce == payload["eat_nonce"]

        flushed = await agent.flush()
        assert flushed.delivered == 0 and flushed.still_queued == 0

        handle.unregister()
        seen = len(recorder.seen)
        gone = await agent.unenrol()
        assert gone.server_notified, gone.server_error
        assert len(recorder.seen) == seen, "an unregistered listener was called"
        after = await agent.status()
        assert after.state == pa.AgentState.UNENROLLED
        assert after.device_id is None
        assert after.attestation is None
        gone_token = await agent.compliance_token()
        assert isinstance(gone_token, pa.ComplianceToken.UNAVAILABLE)
        assert "not enrolled" in gone_token.reason
        return enrolled.device_id, outcome.jti

    device_id, jti = asyncio.run(flow())
    assert signer.deleted, "unenrol did not delete the platform key"
    exported = collector.export()
    assert [r["jti"] for r in exported if r["device_id"] == device_id] == [jti]


def test_a_welsh_agent_shows_the_collectors_verdict_in_welsh(collector, storage_dir, probe, signer):
    welsh = pa.PostureAgent(storage_dir, probe=probe, signer=signer, locale="cy-GB")

    async def flow():
        await welsh.enrol(collector.url, collector.take_code())
        return await welsh.check_in(), await welsh.status()

    outcome, status = asyncio.run(flow())
    rule = pa.RuleId.DEVELOPER_MODE
    in_welsh = next(f for f in welsh.evaluate(welsh.collect(), pa.default_policy()).findings if f.rule == rule)
    with tempfile.TemporaryDirectory() as d:
        plain = pa.PostureAgent(d, probe=probe)
        english = plain.evaluate(plain.collect(), pa.default_policy())
    in_english = next(f for f in english.findings if f.rule == rule)
    assert in_welsh.observed != in_english.observed
    server = outcome.status.verdicts.server
    assert server is not None
    # The report and the collector's verdict are in English; the agent
    # shows each finding it knows in its own language.
    for verdict in (outcome.local_verdict, server.verdict, status.verdicts.server.verdict, status.verdicts.local):
        finding = next(f for f in verdict.findings if f.rule == rule)
        assert finding.observed == in_welsh.observed
    assert server.verdict.compliance == outcome.local_verdict.compliance


def test_check_in_before_enrolling_is_a_typed_not_enrolled_error(agent):
    with pytest.raises(pa.PostureAgentError.NotEnrolled) as caught:
        asyncio.run(agent.check_in())
    assert "enrol" in caught.value.reason
    with pytest.raises(pa.PostureAgentError.NotEnrolled):
        asyncio.run(agent.unenrol())


def test_a_reused_code_is_a_server_error_and_a_second_enrol_invalid_input(
    collector, probe
):
    code = collector.take_code()
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
        first = pa.PostureAgent(one, probe=probe, signer=PythonSigner())
        second = pa.PostureAgent(two, probe=probe, signer=PythonSigner())
        asyncio.run(first.enrol(collector.url, code))
        with pytest.raises(pa.PostureAgentError.Server) as caught:
            asyncio.run(second.enrol(collector.url, code))
        assert "enrolment code" in caught.value.reason.lower()
        with pytest.raises(pa.PostureAgentError.InvalidInput) as again:
            asyncio.run(first.enrol(collector.url, collector.take_code()))
        assert "already enrolled" in again.value.reason


def test_an_unreachable_collector_is_a_network_error(agent):
    with pytest.raises(pa.PostureAgentError.Network):
        # Port 9 (discard) on loopback: nothing listens there.
        asyncio.run(agent.enrol("http://127.0.0.1:9", "K7PM-3QXD-9WTR"))


def test_two_threads_check_in_at_once_and_both_reports_arrive(
    collector, storage_dir, probe, signer
):
    agent = pa.PostureAgent(storage_dir, probe=probe, signer=signer)
    enrolled = asyncio.run(agent.enrol(collector.url, collector.take_code()))
    outcomes, errors = [], []
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            outcomes.append(asyncio.run(agent.check_in()))
        except Exception as e:  # reported below, with the thread's error
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert len(outcomes) == 2
    jtis = {o.jti for o in outcomes}
    assert len(jtis) == 2
    assert all(o.delivery.error is None for o in outcomes)
    assert asyncio.run(agent.status()).queued_reports == 0
    exported = collector.export()
    assert {r["jti"] for r in exported if r["device_id"] == enrolled.device_id} == jtis
