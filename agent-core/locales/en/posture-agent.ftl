# Posture Agent: the words people read, in English (the fallback).
#
# Each message here has one in ../cy/posture-agent.ftl under the same id,
# with the same variables; the parity tests fail otherwise. $platform is
# one of android, ios, linux, macos, windows.

## Rule names

rule-os-version = OS version
rule-security-patch = security patch
rule-storage-encryption = storage encryption
rule-screen-lock = screen lock
rule-auto-lock = auto-lock
rule-developer-mode = developer mode
rule-usb-debugging = USB debugging
rule-integrity = integrity
rule-assurance = assurance level
rule-attestation-pin = attestation pin

## Verdicts and outcomes

compliance-compliant = COMPLIANT
compliance-warning = WARNING: compliant for now, but something needs attention
compliance-non-compliant = NON-COMPLIANT
outcome-fail = FAIL
outcome-warn = WARN
outcome-pass = ok
outcome-not-applicable = n/a

## Remediation

remediation-update-path = { $platform ->
    [android] Open Settings → System → Software update (on Samsung: Settings → Software update) and install every update offered.
    [ios] Open Settings → General → Software Update and install the latest update.
    [macos] Open System Settings → General → Software Update and install the latest update.
    [windows] Open Settings → Windows Update, select Check for updates and install everything offered, then restart.
   *[linux] Install your distribution's updates (for example `sudo apt update && sudo apt full-upgrade`), or upgrade to a supported release.
}
remediation-os-version = Your device runs { $observed }; the trust needs { $needed } or newer. { $update }
remediation-os-no-updates = If no update is offered, this device no longer receives security updates: speak to IT about a replacement.
remediation-security-patch = Your security patch is from { $patch }; the trust needs { $oldest } or newer. { $update }
remediation-storage-encryption = { $platform ->
    [android] Your storage is not encrypted. Set a screen lock PIN, pattern or password (Settings → Security → Screen lock): Android encrypts your data with it. If that does not help, your phone is too old to encrypt its storage.
    [ios] Your data is not protected. Set a passcode: Settings → Face ID & Passcode (or Touch ID & Passcode) → Turn Passcode On. iPhone encrypts your data with it.
    [macos] Your disk is not encrypted. Turn on FileVault: System Settings → Privacy & Security → FileVault → Turn On, and keep the recovery key somewhere safe.
    [windows] Your disk is not encrypted. Turn on encryption: Settings → Privacy & security → Device encryption (or BitLocker drive encryption in Control Panel), and save the recovery key to your account.
   *[linux] Your disk is not encrypted. On Linux this means reinstalling with full-disk encryption (LUKS) selected: back up your files first, or ask IT for help.
}
remediation-screen-lock = { $platform ->
    [android] Set a screen lock: Settings → Security → Screen lock, and choose PIN, pattern or password (not Swipe or None).
    [ios] Set a passcode: Settings → Face ID & Passcode (or Touch ID & Passcode) → Turn Passcode On.
    [macos] Require your password when the screen locks: System Settings → Lock Screen → "Require password after screen saver begins or display is turned off" → Immediately.
    [windows] Make Windows ask for sign-in after you are away: Settings → Accounts → Sign-in options → "If you've been away, when should Windows require you to sign in again?" → When PC wakes up from sleep, and set a screen saver with "On resume, display logon screen".
   *[linux] Turn on automatic screen lock: in GNOME, Settings → Privacy → Screen Lock → Automatic Screen Lock; in KDE, System Settings → Screen Locking → Lock screen automatically.
}
remediation-auto-lock = { $platform ->
    [android] Make your phone lock sooner: Settings → Display → Screen timeout → { $within } or less, and in Settings → Security → Screen lock (the gear beside it) set "Lock after screen timeout" to Immediately (on Samsung: Settings → Lock screen → Secure lock settings → Auto lock when screen turns off → Immediately).
    [ios] Make your iPhone lock sooner: Settings → Display & Brightness → Auto-Lock → { $within } or less (not Never).
    [macos] Make your Mac lock sooner: in System Settings → Lock Screen, set "Start Screen Saver when inactive" and "Turn display off when inactive" to { $within } or less, and "Require password after screen saver begins or display is turned off" to Immediately.
    [windows] Make Windows lock sooner: Settings → Personalisation → Lock screen → Screen saver: choose a screen saver, set Wait to { $within } or less and tick "On resume, display logon screen".
   *[linux] Make your screen lock sooner: in GNOME, Settings → Power → Screen Blank → { $within } or less, and Settings → Privacy → Screen Lock → Automatic Screen Lock on with a short delay; in KDE, System Settings → Screen Locking → "Lock screen automatically" after { $within } or less.
}
remediation-developer-mode = { $platform ->
    [ios] Turn off Developer Mode: Settings → Privacy & Security → Developer Mode → off, then restart.
   *[other] Turn off developer options: Settings → System → Developer options → switch off "Use developer options".
}
remediation-usb-debugging = Turn off USB debugging: Settings → System → Developer options → USB debugging → off (or turn developer options off altogether).
remediation-integrity = This device shows signs of a modified system ({ $indicators }). Work data cannot be protected on a rooted, jailbroken or modified device. Restore the manufacturer's software, or contact IT.
remediation-unknown = The agent could not check { $what } on this { $device } device. If you think this is wrong, contact IT and quote this finding.
remediation-before-deadline = { $remediation } Please do this before { $date }.

## What could not be checked ($what of remediation-unknown)

check-subject-os = your operating system version
check-subject-os-version = your system version
check-subject-security-patch = your security patch level
check-subject-storage-encryption = whether your storage is encrypted
check-subject-screen-lock = whether a screen lock is set
check-subject-auto-lock = how soon your screen locks by itself
check-subject-developer-mode = whether developer mode is on
check-subject-usb-debugging = whether USB debugging is on
check-subject-integrity = the integrity of your system

## Lengths of time

span-seconds = { $n ->
    [one] { $n } second
   *[other] { $n } seconds
}
span-minutes = { $n ->
    [one] { $n } minute
   *[other] { $n } minutes
}
span-minutes-seconds = { $minutes } { $seconds }

## Privacy inventory: what leaves the device, and why

privacy-summary = Your organisation's app uses Posture Agent to check that this device is safe for work data: that it is up to date, encrypted and locked. It sends the organisation only those security settings and the agent's own verdict on them, with random identifiers made for this enrolment. It never sees your personal data.
privacy-payload-enrol = enrolment request
privacy-payload-token-header = token header
privacy-payload-report = posture report
privacy-payload-request = device request
privacy-category-device-security = Security settings of the device
privacy-category-verdict = The device's own verdict
privacy-category-random-identifier = Random identifiers
privacy-category-public-key = The device key's public half
privacy-category-attestation = Evidence that the key and the app are genuine
privacy-category-app-info = The agent's name and version
privacy-category-protocol = Message bookkeeping

privacy-enrol-code-what = The one-time enrolment code your organisation gave you.
privacy-enrol-code-why = It proves the enrolment was invited; the collector accepts it once.
privacy-public-key-what = The public half of a key made on this device for this enrolment.
privacy-public-key-why = The organisation checks every report's signature with it. The private half never leaves the device.
privacy-key-thumbprint-what = A fingerprint of that public key.
privacy-key-thumbprint-why = It tells the collector which key signed a message.
privacy-key-attestation-what = On Android, the certificates the phone's secure hardware issues for the device key.
privacy-key-attestation-why = They show the key is kept in secure hardware on a genuine device.
privacy-key-attestation-fresh-what = On Android, when the organisation asks for it, a fresh set of those certificates for a throwaway key.
privacy-key-attestation-fresh-why = They show the device is still genuine and up to date, without a long-lived identifier.
privacy-app-attest-what = On iPhone, Apple's App Attest evidence for a key made for this enrolment.
privacy-app-attest-why = It shows the report comes from the genuine app on a genuine iPhone.
privacy-app-attest-assertion-what = On iPhone, an App Attest signature over each report.
privacy-app-attest-assertion-why = It shows each report comes from the app that enrolled.
privacy-platform-what = The kind of device: Android, iOS, Linux, macOS or Windows.
privacy-platform-why = The policy asks different things of each platform.
privacy-agent-version-what = The name and version of the agent.
privacy-agent-version-why = The collector reads each report the way that version writes it.
privacy-token-format-what = The format of the message and of its signature.
privacy-token-format-why = The collector checks the message is one it understands and is signed as required.
privacy-nonce-what = A random challenge the collector sent for this report or request.
privacy-nonce-why = It proves the report is fresh and cannot be replayed later.
privacy-token-times-what = When the message was made and when it stops being valid.
privacy-token-times-why = Old or future-dated messages are refused.
privacy-token-id-what = A random id for this message.
privacy-token-id-why = A message sent twice is stored once.
privacy-device-id-what = The random device id the collector gave this enrolment.
privacy-device-id-why = It links your reports to your enrolment. A new one is made every time you enrol; it is not a hardware identifier.
privacy-request-purpose-what = What a device request asks for: a fresh challenge, or unenrolment.
privacy-request-purpose-why = A request made for one purpose cannot be used for the other.
privacy-os-what = The operating system's name, version and build.
privacy-os-why = The policy requires a version that still receives security updates.
privacy-os-kernel-what = The kernel version (desktops; on phones it is usually unknown).
privacy-os-kernel-why = It shows which security fixes a desktop's system has.
privacy-security-patch-what = The date of the Android security patch.
privacy-security-patch-why = The policy requires a recent security patch.
privacy-storage-encryption-what = Whether the device's storage is encrypted, and how.
privacy-storage-encryption-why = Work data must be encrypted if the device is lost.
privacy-screen-lock-what = Whether a PIN, password or pattern protects the device.
privacy-screen-lock-why = Work data must be locked away from whoever picks the device up.
privacy-auto-lock-what = How soon the screen locks by itself.
privacy-auto-lock-why = A device left unlocked exposes work data.
privacy-developer-settings-what = Whether developer options and USB debugging are on.
privacy-developer-settings-why = They let other software bypass the device's protections.
privacy-integrity-what = Signs of a rooted, jailbroken or modified system, each checked by name.
privacy-integrity-why = Work data cannot be protected on a modified system.
privacy-hardware-key-store-what = Whether the device has secure hardware for keys.
privacy-hardware-key-store-why = Keys in secure hardware cannot be copied off the device.
privacy-secure-boot-what = Whether Secure Boot is on (desktops).
privacy-secure-boot-why = It stops modified software from starting.
privacy-tpm-what = Whether a security chip (TPM) is present, and its version (desktops).
privacy-tpm-why = It protects keys and encryption on a desktop.
privacy-verdict-what = The agent's own verdict on those settings: each rule's result, what it saw and the advice it gave you.
privacy-verdict-why = The organisation can see what you were told; it checks the settings again itself.

privacy-never-imei = IMEI or other hardware identifiers
privacy-never-serial = serial numbers
privacy-never-mac = MAC addresses
privacy-never-names = the device's name or your user name
privacy-never-phone = phone numbers
privacy-never-accounts = accounts
privacy-never-location = location
privacy-never-contacts = contacts
privacy-never-apps = the list of apps
privacy-never-browsing = browsing history
privacy-never-files = files, photos or messages

privacy-leaflet-title = What your organisation can see
privacy-leaflet-generated = Generated from the agent's privacy inventory by `{ $command }`: do not edit by hand.
privacy-leaflet-sent = What is sent
privacy-leaflet-never = What is never collected
privacy-leaflet-rights = What you can do
privacy-leaflet-rights-preview = See the exact report before it is sent: the app's preview (or `posture-agent preview`) shows it, and nothing is sent.
privacy-leaflet-rights-unenrol = Unenrol at any time: the device key and everything the agent keeps on the device are deleted, and the collector is told to remove the device.
privacy-leaflet-rights-organisation = Your organisation sees only what is listed here. Ask them how long they keep it.
privacy-leaflet-review = The Welsh in this leaflet awaits review by a Welsh speaker: until then, the English leaflet is the one to rely on.

## Findings: what the device showed ($observed) and what the policy needs ($requirement)

finding-not-applicable = not checked on { $device }
finding-unknown = unknown: { $reason }
finding-os-unidentified = the operating system could not be identified ({ $reason })
finding-os-no-minimum-like = the policy sets no minimum version for { $os } or what it is like ({ $like })
finding-os-no-minimum = the policy sets no minimum version for { $os }
finding-os-supported-release = a supported release
finding-os-requirement = { $os } { $minimums }
finding-os-requirement-like = { $os } { $minimums } (the minimum for { $like })
finding-os-minimum-none = (no minimum)
finding-os-minimum = { $version } or newer
finding-os-minimums = { $versions } or newer on its release line
finding-os-version-not-number = version { $version } is not a number
finding-os-observed = { $os } { $version }
finding-patch-requirement = security patch { $oldest } or newer
finding-patch-observed = security patch { $patch }
finding-storage-requirement = storage encrypted
finding-storage-encrypted = encrypted ({ $method })
finding-storage-not-encrypted = not encrypted
finding-screen-lock-requirement = a secure screen lock
finding-screen-lock-set = screen lock set
finding-screen-lock-not-set = no secure screen lock
finding-auto-lock-requirement = an automatic screen lock within { $within }
finding-auto-lock-never = never locks by itself
finding-auto-lock-after = locks after { $span }
finding-developer-mode-off = developer mode off
finding-developer-mode-on = developer mode on
finding-usb-debugging-off = USB debugging off
finding-usb-debugging-on = USB debugging on
finding-integrity-requirement = no sign of a rooted, jailbroken or modified system
finding-integrity-none-reported = no integrity indicators reported
finding-integrity-tripped = tripped: { $indicators }
finding-integrity-could-not-check = could not check { $indicators }
finding-integrity-checked = { $n ->
    [one] { $n } indicator checked, not tripped
   *[other] { $n } indicators checked, none tripped
}

## Remediation strategies

strategy-report-only = report-only
strategy-notify-only = notify-only
strategy-warn-then-block = warn-then-block
strategy-block = block
strategy-note-warn-then-block = warn-then-block: from { $date } this device counts as non-compliant
strategy-note-notify-only = notify-only: a reminder; it never makes this device non-compliant

## Quiet hours

notify-reason-no-working-hours = no working hours are set, so there are no quiet hours
notify-reason-within = within your working hours
notify-reason-outside = outside your working hours: the agent stays silent until they start
quiet-hours-error-time = { $field ->
    [start] start
   *[end] end
} { $value } is not a time of day: write it as HH:MM, 00:00 to 23:59
quiet-hours-error-empty = working hours from { $time } to { $time } are empty: give a different end
quiet-hours-error-time-zone = { $zone } is not a known time zone: give an IANA name such as Europe/London
quiet-hours-error-outside-bounds = working hours { $hours } are outside what your organisation allows ({ $allowed }): choose hours within them
quiet-hours-error-too-long = working hours { $hours } last longer than the { $max } hours your organisation allows: choose a shorter day
quiet-hours-no-hours = no hours
quiet-hours-set = Working hours set: { $start } to { $end } every day, { $zone } time. The agent prompts you only within them.
quiet-hours-cleared = Working hours cleared: no quiet hours.
quiet-hours-show = Working hours: { $start } to { $end } every day, { $zone } time
quiet-hours-show-none = Working hours: not set
quiet-hours-prompts-yes = Prompts now: yes ({ $reason })
quiet-hours-prompts-no = Prompts now: no ({ $reason })
quiet-hours-next-allowed = Next prompt allowed: { $at }
quiet-hours-quiet-from = Quiet from: { $at }

## Check-in and status

checkin-silent = Stayed silent: { $reason }{ $next }. The check-in ran and was reported; this device is { $state }. `posture-agent status` shows the details.
checkin-silent-next = ; the next prompt is allowed from { $at }
checkin-state-compliant = compliant
checkin-state-warning = compliant, with warnings
checkin-state-non-compliant = non-compliant
checkin-collector-verdict-current = The collector's verdict (current report):
checkin-collector-verdict-historical = The collector's verdict (historical report):
checkin-own-verdict = This device's own verdict (not yet confirmed by the collector):
checkin-no-fresh-nonce = No fresh nonce from the collector: this report will count as historical evidence, not current compliance.
verdict-policy = (policy "{ $name }", revision { $revision })
verdict-needs = (needs { $requirement })
status-collector-verdict = The collector's last verdict (at { $at }):
status-own-verdict = This device's last own verdict:

## Errors people see

error-not-enrolled = this device is not enrolled; enrol it first with a one-time code from your organisation
error-already-enrolled = this device is already enrolled with { $server }; unenrol it first to enrol again

## The CLI's posture table and delivery counts

table-posture-title = Posture of this device ({ $platform }), collected { $at } by agent { $version }
table-header-fact = FACT
table-header-value = VALUE
table-header-source = SOURCE / REASON
table-fact-os = OS
table-fact-os-id = OS id
table-fact-os-version = OS version
table-fact-os-build = OS build
table-fact-kernel = kernel
table-fact-security-patch = security patch
table-fact-storage-encryption = storage encryption
table-fact-screen-lock = screen lock
table-fact-auto-lock = auto-lock
table-fact-developer-mode = developer mode
table-fact-usb-debugging = USB debugging
table-fact-indicator = { $name } ({ $kind })
table-kind-heuristic = heuristic
table-kind-platform-attestation = platformattestation
table-fact-hardware-key-store = hardware key store
table-fact-secure-boot = Secure Boot
table-fact-tpm = TPM
table-value-unknown = unknown
table-value-on = on
table-value-off = off
table-value-encrypted = encrypted ({ $method })
table-value-not-encrypted = not encrypted
table-value-set = set
table-value-not-set = not set
table-value-after = after { $duration }
table-value-never = never
table-value-tripped = TRIPPED
table-value-not-tripped = not tripped
table-value-none = none
table-value-present-version = present (TPM { $version })
table-value-present = present
table-value-absent = absent
flush-delivered = Delivered { $n ->
        [one] { $n } report
       *[other] { $n } reports
    }; { $queued } still queued.
flush-rejected = Refused by the collector and removed: report { $jti }: { $reason }
flush-protocol-errors = The collector's answer broke the protocol { $n ->
        [one] { $n } time
       *[other] { $n } times
    } (not an acknowledgement of the report); the report is kept.
flush-not-delivered = Not delivered now (kept for retry): { $error }

## The CLI's status table

status-never = never
status-not-enrolled = Not enrolled. Enrol with `posture-agent enrol --server URL --code CODE`.
status-enrolled-with = Enrolled with { $server }
status-device-id = device id
status-device-key = device key (kid)
status-enrolled-at = enrolled at
status-policy = policy
status-policy-value = { $name } (revision { $revision })
status-checkin-every = check-in every
status-last-checkin = last check-in
status-queued = queued reports
status-queued-oldest = { $n } (oldest { $at })
status-evicted = evicted reports
status-evicted-value = { $n } (the outbox was full)
status-wait = collector asked
status-wait-value = to wait until { $at } (Retry-After)
status-protocol-errors = protocol errors
status-protocol-errors-value = { $n } (answers that were not an acknowledgement; the reports were kept)
status-attestation = attestation
status-attestation-value = { $status } (assurance { $assurance }), valid until { $until }{ $expired }; `posture-agent compliance-token` prints it
status-attestation-expired = { " " }(expired; check in for a fresh one)
status-attestation-no-assurance = not named
status-state-dir = state directory

## Reasons a fact is unknown (the English is what the probe reports)

reason-ios-no-patch-level = iOS has no Android-style security patch level: the OS version carries it
reason-ios-no-auto-lock-api = not readable by a third-party app: iOS gives apps no API to read the Auto-Lock setting
reason-ios-no-developer-mode-api = iOS gives apps no API to read Developer Mode
reason-ios-no-usb-debugging = iOS has no USB debugging setting
reason-auto-lock-not-reported = not reported: the agent that collected this posture predates the auto_lock fact

# What a probe writes when it cannot read a fact. The variables are names
# (a setting, a path, a command) and a platform's own error text, shown as
# they are; a `reason` (or `error`) that is itself one of these messages is
# shown in the person's language too.

reason-not-read = not read
reason-source-error = { $source }: { $error }
reason-could-not-be-read = { $source } could not be read: { $error }
reason-could-not-be-checked = { $source } could not be checked: { $error }
reason-not-read-by-reader = { $source } is not read by this reader
reason-not-set = { $source } is not set
reason-failed = { $source } failed: { $error }
reason-cannot-read = cannot read { $path }: { $error }
reason-cannot-list = cannot list { $path }: { $error }
reason-could-not-run = could not run { $program }: { $error }
reason-exited = { $program } exited with { $status }: { $error }
reason-not-a-known-state = { $source } is { $value }, not a known state
reason-not-zero-or-one = { $source } is { $value }, not 0 or 1
reason-returned-not-true-or-false = { $source } returned { $value }, not true or false
reason-is-not-true-or-false = { $source } is { $value }, not true or false
reason-subject-screen-lock = the screen lock
reason-subject-su-paths = the su paths
reason-subject-jailbreak-paths = the jailbreak paths
reason-android-not-read = not read on Android
reason-android-kernel-not-collected = not collected on Android: no policy rule uses it
reason-android-secure-boot-desktop = UEFI Secure Boot is a desktop fact; see the integrity indicators
reason-android-no-tpm = phones have no TPM; see hardware_key_store
reason-android-patch-not-a-date = { $source } is { $value }, not a YYYY-MM-DD date
reason-android-patch-empty = { $reason } (empty: Android before 6.0 has no security patch level)
reason-android-encryption-activating = { $source } ({ $value }): encryption is being turned on and is not complete
reason-android-encryption-status-unknown = { $source } returned { $value }, not a known ENCRYPTION_STATUS_ value
reason-android-lock-disabled-false = { $source } printed false, which AOSP prints both for a secure lock and for a swipe without a credential; adb cannot tell them apart without trying a credential
reason-android-lock-disabled-other = { $source } printed { $value }, not true or false (Android before 8 has no locksettings command)
reason-android-lock-after-unknown = { $reason }; the screen turns off after { $ms } ms, but how long the lock waits after that is not known
reason-android-not-milliseconds = { $source } is { $value }, not a number of milliseconds
reason-android-developer-eng-build = { $source } is not set, and eng builds default developer options on
reason-android-developer-build-type-unknown = { $source } is not set and { $build_type } is unknown
reason-android-verified-boot-not-read = { $reason } (emulators and devices without verified boot)
reason-android-flash-locked-not-read = { $reason } (emulators and some vendors)
reason-android-su-paths-failed = the su paths could not be checked: { $error }
reason-android-keystore-over-adb = not readable over adb: the Keystore's security level is visible only to an app (KeyInfo) or through key attestation
reason-android-hardware-keystore-not-declared = { $source } is not declared and there is no StrongBox; devices upgraded to Android 12 may not declare it
reason-android-no-strongbox = no StrongBox, and before Android 12 the framework does not declare a hardware Keystore
reason-android-observed-cannot-encrypt = { $source } (unsupported: the device cannot encrypt)
reason-android-observed-lock-screen-disabled = { $source } (true: the lock screen is disabled)
reason-android-observed-developer-off-by-default = { $source } (not set: off by default on { $build_type } builds)
reason-android-observed-no-su = none of { $count } known su paths exists
reason-android-observed-su-found = found { $paths }
reason-android-observed-debuggable-not-set = { $source } (not set: read as 0)
reason-ios-not-read = not read on iOS
reason-ios-simulator-no-data-protection = a simulator has no data protection of its own: its storage is a folder on the Mac
reason-ios-simulator-no-passcode = a simulator has no passcode to report
reason-ios-simulator-no-jailbreak-checks = jailbreak checks need the device itself, not a simulator
reason-ios-simulator-no-secure-enclave = a simulator has no Secure Enclave to report
reason-ios-secure-boot-desktop = UEFI Secure Boot is a desktop fact
reason-ios-no-tpm = phones have no TPM
reason-ios-la-error = { $source } failed: LAError { $code }
reason-ios-false-without-error = { $source } returned false without an error
reason-ios-data-protection-passcode = the passcode state decides Data Protection and could not be read: { $reason }
reason-ios-cydia-not-declared = the app does not list cydia in LSApplicationQueriesSchemes, so iOS will not answer
reason-ios-flag-not-true-or-false = { $source }: { $value }, not true or false
reason-ios-observed-built-for = the platform this library was built for
reason-ios-observed-data-protection = Data Protection, which iOS enables whenever a passcode is set ({ $source })
reason-ios-observed-no-passcode = { $source }: no passcode
reason-linux-no-patch-level = Linux has no Android-style security patch level
reason-linux-no-developer-mode = Linux desktops have no developer mode setting
reason-linux-no-usb-debugging = Linux desktops have no USB debugging setting
reason-linux-no-version-id = { $source } has no VERSION_ID or VERSION (a rolling release?)
reason-linux-no-build-id = { $source } has no BUILD_ID
reason-linux-os-release-neither = { $first }; { $second }
reason-linux-no-root-mount = { $source } lists no mount at /
reason-linux-a-device-path = "a device path"
reason-linux-root-not-block-device = the filesystem at / is { $fs_type } from { $from }, not a block device this probe can follow (a container or network filesystem?)
reason-linux-no-efi = no /sys/firmware/efi: booted without UEFI, or the firmware is hidden from this environment
reason-linux-device-stack-too-deep = device stack deeper than 8 layers
reason-linux-loop-device = / is on a loop device backed by a file; its encryption cannot be seen from here
reason-linux-device-not-in-sys = the device is not in /sys/dev/block
reason-linux-no-graphical-session = no graphical session (DISPLAY and WAYLAND_DISPLAY are unset)
reason-linux-no-current-desktop = graphical session without XDG_CURRENT_DESKTOP: cannot tell which screen locker runs
reason-linux-desktop-not-read = screen lock settings of the { $desktop } desktop are not read by this agent
reason-linux-gnome-lock-delay = { $source }: { $error } (the screen blanks after { $seconds } s)
reason-linux-no-home = HOME is unset: cannot find kscreenlockerrc
reason-linux-observed-no-dm-crypt = { $source }: no dm-crypt layer beneath /
reason-linux-observed-absent = { $path } absent
reason-linux-observed-no-tpm = { $path } missing: the kernel exposes no TPM
reason-linux-observed-tpm-empty = /sys/class/tpm is empty
reason-linux-observed-gnome-lock-off = { $source } is false
reason-linux-observed-gnome-never-blanks = { $lock }; { $idle } is 0 (never blanks)
reason-linux-observed-kde-autolock-off = { $source }: Autolock off or no timeout
reason-parse-mountinfo-empty = mountinfo is empty
reason-parse-mountinfo-too-large = mountinfo is { $bytes } bytes; the limit is { $limit }
reason-parse-mountinfo-bad-line = mountinfo line { $line } is malformed: { $what }
reason-parse-device-not-major-minor = device is not major:minor
reason-parse-os-release-empty = os-release has no KEY=value line
reason-parse-os-release-too-large = os-release is { $bytes } bytes; the limit is { $limit }
reason-parse-efivar-bad-length = EFI boolean variable has { $bytes } bytes; expected 5 (4 attribute bytes, 1 value byte)
reason-parse-efivar-bad-value = EFI boolean variable holds { $value }; expected 0 or 1
reason-parse-too-large = { $tool } printed { $bytes } bytes; the limit is { $limit }
reason-parse-printed-nothing = { $tool } printed nothing
reason-parse-output-has-no = { $tool } output has no { $field }
reason-parse-macos-unrecognised = { $tool } printed an unrecognised line { $text }; update the parser for this macOS
reason-parse-windows-reported = { $tool } reported: { $text }
reason-parse-windows-malformed = { $tool } line { $line } is not in the expected format: { $text }
reason-parse-windows-bad-value = { $tool }: { $name } is { $value }, not { $expected }
reason-parse-input-too-large = input is { $bytes } bytes; the limit is { $limit }
reason-parse-gsettings-printed = gsettings printed { $text }; expected { $expected }
reason-parse-kscreenlockerrc-line = kscreenlockerrc line { $line }: { $what }
reason-parse-a-number = a number
reason-parse-an-unsigned-number = an unsigned number
reason-parse-kde-unterminated-group = unterminated [group] header
reason-parse-kde-not-key-value = not key=value
reason-parse-kde-timeout-not-minutes = Timeout is { $value }, not minutes
reason-parse-kde-lockgrace-not-seconds = LockGrace is { $value }, not seconds
reason-macos-no-patch-level = macOS has no Android-style security patch level
reason-macos-no-developer-mode = macOS has no developer mode setting
reason-macos-no-usb-debugging = macOS has no USB debugging setting
reason-macos-secure-enclave-not-probed = Secure Enclave presence is not probed on macOS yet
reason-macos-secure-boot-not-probed = Apple secure boot level is not probed yet
reason-macos-no-tpm = Macs have no TPM; the Secure Enclave plays that role
reason-macos-idle-time-not-set = { $source } is not set for this user: the macOS default applies, and this agent does not assume it
reason-macos-observed-compiled-for = compiled for macOS
reason-macos-observed-encrypting = { $source }: encryption in progress
reason-macos-observed-decrypting = { $source }: decryption in progress
reason-macos-observed-deferred = { $source }: enablement deferred to the next login or restart
reason-macos-observed-screen-lock-off = { $source } (off: no password after the screen saver or display sleep)
reason-windows-no-patch-level = Windows reports updates as the build's UBR, not a patch date
reason-windows-developer-mode-not-probed = Windows developer mode is not probed
reason-windows-no-usb-debugging = Windows has no USB debugging setting
reason-windows-tpm-not-probed = TPM presence is not probed on Windows yet
reason-windows-secure-boot-not-probed = Secure Boot is not probed on Windows yet
reason-windows-system-drive-not-listed = the system drive is not listed
reason-windows-no-screen-saver-lock = no screen-saver lock setting in the registry
reason-windows-no-screen-saver-timeout = no screen-saver timeout and no { $setting } in the registry
reason-windows-observed-compiled-for = compiled for Windows
reason-windows-observed-screen-saver-and-limit = { $source } (screen saver { $seconds } s); { $setting } ({ $limit } s)
reason-windows-observed-screen-saver-no-limit = { $source } (screen saver { $seconds } s); no { $setting }
reason-windows-observed-limit-no-screen-saver = { $setting } ({ $limit } s); no locking screen saver
reason-windows-observed-screen-saver-does-not-lock = { $source } (the screen saver does not lock); no { $setting }
